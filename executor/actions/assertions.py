"""`expect`: the assertion kinds, checked with Playwright's web-first (retrying) assertions.

Each kind is a small function registered in `KINDS`; `check` runs one and returns its result
(passed, or failed with what was found instead), never raising for an assertion that failed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import expect

from executor.actions.base import StepContext, action
from executor.actions.navigate import join_url
from executor.errors import actual_value, summarize
from executor.events import AssertionResult, LocatorMatch
from executor.locate import LocatorError, LocatorNotFound, Mode, Resolution
from executor.model.runbook import Assertion, NoArgs


@action("expect", changes_state=False)
async def expect_only(ctx: StepContext, args: NoArgs) -> None:
    """A step made of assertions only: nothing to do, the engine checks `expect` after it."""


Check = Callable[[StepContext, Assertion, float], Awaitable[Resolution | None]]
KINDS: dict[str, Check] = {}


def kind(*names: str) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        for name in names:
            KINDS[name] = fn
        return fn

    return register


def _regex(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE if ignore_case else 0)


async def _strict(ctx: StepContext, a: Assertion, timeout_ms: float) -> Resolution:
    assert a.target is not None, f"{a.kind} needs a target"  # the loader guarantees it
    return await ctx.resolve(a.target, timeout_ms=timeout_ms)


def _left(started: float, timeout_ms: float) -> float:
    return max(timeout_ms - (time.monotonic() - started) * 1000, 1)


@kind("visible", "checked", "unchecked", "enabled", "disabled")
async def _state(ctx: StepContext, a: Assertion, timeout_ms: float) -> Resolution:
    started = time.monotonic()
    res = await _strict(ctx, a, timeout_ms)
    e, t = expect(res.locator), _left(started, timeout_ms)
    if a.kind == "visible":
        await e.to_be_visible(timeout=t)
    elif a.kind == "checked":
        await e.to_be_checked(timeout=t)
    elif a.kind == "unchecked":
        await e.to_be_checked(checked=False, timeout=t)
    elif a.kind == "enabled":
        await e.to_be_enabled(timeout=t)
    else:
        await e.to_be_disabled(timeout=t)
    return res


@kind("hidden")
async def _hidden(ctx: StepContext, a: Assertion, timeout_ms: float) -> Resolution | None:
    assert a.target is not None
    # One look: absent is hidden, no need to wait for the catalogue to find it.
    res = await _probe(ctx, a)
    if res is not None:
        await expect(res.locator).to_be_hidden(timeout=timeout_ms)
    return res


async def _probe(ctx: StepContext, a: Assertion, mode: Mode = "strict") -> Resolution | None:
    assert a.target is not None
    try:
        return await ctx.resolve(a.target, wait=False, mode=mode)
    except LocatorNotFound:
        return None


@kind("text")
async def _text(ctx: StepContext, a: Assertion, timeout_ms: float) -> Resolution:
    started = time.monotonic()
    res = await _strict(ctx, a, timeout_ms)
    e, t = expect(res.locator), _left(started, timeout_ms)
    if a.equals is not None:
        await e.to_have_text(a.equals, ignore_case=a.ignore_case, timeout=t)
    elif a.contains is not None:
        await e.to_contain_text(a.contains, ignore_case=a.ignore_case, timeout=t)
    else:
        await e.to_have_text(_regex(a.matches or "", a.ignore_case), timeout=t)
    return res


@kind("value")
async def _value(ctx: StepContext, a: Assertion, timeout_ms: float) -> Resolution:
    started = time.monotonic()
    res = await _strict(ctx, a, timeout_ms)
    e, t = expect(res.locator), _left(started, timeout_ms)
    if a.equals is not None:
        await e.to_have_value(a.equals, timeout=t)
    elif a.contains is not None:
        await e.to_have_value(_regex(re.escape(a.contains), a.ignore_case), timeout=t)
    else:
        await e.to_have_value(_regex(a.matches or "", a.ignore_case), timeout=t)
    return res


@kind("count")
async def _count(ctx: StepContext, a: Assertion, timeout_ms: float) -> Resolution | None:
    assert a.target is not None
    started = time.monotonic()
    wanted = int(a.equals or 0)
    res = await _probe(ctx, a, mode="any")
    if res is None and wanted == 0:
        return None
    if res is None:
        res = await ctx.resolve(a.target, mode="any", timeout_ms=timeout_ms)
    await expect(res.locator).to_have_count(wanted, timeout=_left(started, timeout_ms))
    return res


def _page_pattern(ctx: StepContext, a: Assertion, *, is_url: bool) -> str | re.Pattern[str]:
    if a.equals is not None:
        if is_url and a.equals.startswith("/"):
            return join_url(ctx.base_url, a.equals)
        return _regex(f"^{re.escape(a.equals)}$", True) if a.ignore_case else a.equals
    if a.contains is not None:
        return _regex(re.escape(a.contains), a.ignore_case)
    return _regex(a.matches or "", a.ignore_case)


@kind("url")
async def _url(ctx: StepContext, a: Assertion, timeout_ms: float) -> None:
    await expect(ctx.page).to_have_url(_page_pattern(ctx, a, is_url=True), timeout=timeout_ms)


@kind("title")
async def _title(ctx: StepContext, a: Assertion, timeout_ms: float) -> None:
    await expect(ctx.page).to_have_title(_page_pattern(ctx, a, is_url=False), timeout=timeout_ms)


def describe(a: Assertion) -> str:
    """`licenses.total text contains '27.00'`, `dialog.checkout visible`, `url matches '/x'`."""
    subject = a.target.describe() if a.target is not None else ""
    if a.kind in ("text", "value", "url", "title"):
        verb, value = next(
            (v, x)
            for v, x in (("equals", a.equals), ("contains", a.contains), ("matches", a.matches))
            if x is not None
        )
        case = " (ignoring case)" if a.ignore_case else ""
        return f"{subject} {a.kind} {verb} {value!r}{case}".strip()
    if a.kind == "count":
        return f"{subject} count equals {a.equals}"
    return f"{subject} {a.kind}"


async def check(ctx: StepContext, a: Assertion, timeout_ms: float) -> AssertionResult:
    started = time.monotonic()
    expected = describe(a)
    match: LocatorMatch | None = None
    error: str | None = None
    try:
        res = await ctx.trusting(lambda: KINDS[a.kind](ctx, a, timeout_ms))
        match = res.match() if res is not None else None
    except AssertionError as err:
        found = actual_value(str(err))
        error = f"found {found!r}" if found is not None else summarize(str(err))
    except LocatorError as err:
        error = str(err)
    except PlaywrightError as err:
        error = summarize(err.message)
    return AssertionResult(
        kind=a.kind,
        expected=expected,
        status="passed" if error is None else "failed",
        target=a.target.describe() if a.target is not None else None,
        message=a.message,
        error=error,
        source=str(a.source),
        match=match,
        duration_ms=(time.monotonic() - started) * 1000,
    )
