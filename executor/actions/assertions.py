"""`expect`: the assertion kinds, checked with Playwright's web-first (retrying) assertions.

Each kind is a small function registered in `KINDS`; `check` runs one and returns its result
(passed, or failed with what was found instead), never raising for an assertion that failed.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import expect

from executor.actions.base import StepContext, action
from executor.actions.navigate import join_url
from executor.errors import actual_value, summarize
from executor.events import AssertionResult, LocatorMatch
from executor.engine.locate import LocatorError, LocatorNotFound, Mode, Resolution, ScopeNotFound
from executor.engine.wording import WordingError, text_pattern, value_pattern
from executor.model.runbook import Assertion, Matcher, NoArgs, TextRef
from executor.numbers import NumberError, number_text, parse_number


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
    # One look: absent is hidden, no need to wait for the catalogue to find it (but its scope
    # must be there: absence inside a region that is gone proves nothing).
    res = await _probe(ctx, a, scope_timeout_ms=timeout_ms)
    if res is not None:
        await expect(res.locator).to_be_hidden(timeout=timeout_ms)
    return res


async def _probe(
    ctx: StepContext, a: Assertion, mode: Mode = "strict", *, scope_timeout_ms: float | None = None
) -> Resolution | None:
    assert a.target is not None
    try:
        return await ctx.resolve(a.target, wait=False, mode=mode, scope_timeout_ms=scope_timeout_ms)
    except LocatorNotFound:
        return None


def _wording(ctx: StepContext, a: Assertion, expected: Matcher, *, whole: bool) -> str | re.Pattern[str]:
    """What the page must show: the runbook's string, any wording of a catalogue text, or (for an
    entry that shows a value set) any label of the canonical value the runbook names."""
    if isinstance(expected, TextRef):
        return text_pattern(ctx.catalogue, expected, whole=whole)
    entry = ctx.catalogue.entries.get(a.target.entry) if a.target is not None else None
    value_set = ctx.catalogue.values.get(entry.shows) if entry is not None and entry.shows else None
    if whole and value_set is not None:
        labels = value_pattern(value_set, expected)
        if labels is not None:
            return labels
    return expected


@kind("text")
async def _text(ctx: StepContext, a: Assertion, timeout_ms: float) -> Resolution:
    started = time.monotonic()
    res = await _strict(ctx, a, timeout_ms)
    e, t = expect(res.locator), _left(started, timeout_ms)
    if a.equals is not None:
        await e.to_have_text(_wording(ctx, a, a.equals, whole=True), ignore_case=a.ignore_case, timeout=t)
    elif a.contains is not None:
        await e.to_contain_text(_wording(ctx, a, a.contains, whole=False), ignore_case=a.ignore_case, timeout=t)
    else:
        await e.to_have_text(_regex(a.matches or "", a.ignore_case), timeout=t)
    return res


@kind("value")
async def _value(ctx: StepContext, a: Assertion, timeout_ms: float) -> Resolution:
    started = time.monotonic()
    res = await _strict(ctx, a, timeout_ms)
    e, t = expect(res.locator), _left(started, timeout_ms)
    if a.equals is not None:
        await e.to_have_value(_wording(ctx, a, a.equals, whole=True), timeout=t)
    elif isinstance(a.contains, TextRef):
        await e.to_have_value(_wording(ctx, a, a.contains, whole=False), timeout=t)
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
    res = await _probe(ctx, a, mode="any", scope_timeout_ms=timeout_ms)
    if res is None and wanted == 0:
        return None
    if res is None:
        res = await ctx.resolve(a.target, mode="any", timeout_ms=timeout_ms)
    await expect(res.locator).to_have_count(wanted, timeout=_left(started, timeout_ms))
    return res


class NumberMismatch(AssertionError):
    """`number`: the value found, or why no number could be read, after the whole timeout."""


def _holds(value: Decimal, a: Assertion) -> bool:
    checks = (
        (a.equals, lambda bound: value == bound),
        (a.at_least, lambda bound: value >= bound),
        (a.at_most, lambda bound: value <= bound),
    )
    return all(test(Decimal(str(bound))) for bound, test in checks if bound is not None)


@kind("number")
async def _number(ctx: StepContext, a: Assertion, timeout_ms: float) -> Resolution:
    """The element's text read as a number in the locale (`1 450,00 $`), compared as decimals;
    retried like Playwright's own assertions until it holds or the time is up."""
    started = time.monotonic()
    res = await _strict(ctx, a, timeout_ms)
    locale = await ctx.number_locale(a.locale)
    delays = iter((0.0, 0.05, 0.1, 0.25, 0.5))
    while True:
        text = (await res.locator.inner_text(timeout=_left(started, timeout_ms))).strip()
        try:
            value = parse_number(text, locale)
            found = f"{text!r} = {number_text(value)}"
            if _holds(value, a):
                return res
        except NumberError as err:
            found = f"{err} (in {locale})"
        if _left(started, timeout_ms) <= 1:
            raise NumberMismatch(f"Actual value: {found}")
        await asyncio.sleep(min(next(delays, 0.5), _left(started, timeout_ms) / 1000))


def _page_pattern(ctx: StepContext, a: Assertion, *, is_url: bool) -> str | re.Pattern[str]:
    for matcher, whole in ((a.equals, True), (a.contains, False)):
        if isinstance(matcher, TextRef):  # a page title in the portal's wording
            return text_pattern(ctx.catalogue, matcher, whole=whole)
    if isinstance(a.equals, str):
        if is_url and a.equals.startswith("/"):
            return join_url(ctx.base_url, a.equals)
        return _regex(f"^{re.escape(a.equals)}$", True) if a.ignore_case else a.equals
    if isinstance(a.contains, str):
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
        said = value.describe() if isinstance(value, TextRef) else repr(value)
        return f"{subject} {a.kind} {verb} {said}{case}".strip()
    if a.kind == "count":
        return f"{subject} count equals {a.equals}"
    if a.kind == "number":
        bounds = [f"{word} {value}" for word, value in (("=", a.equals), (">=", a.at_least), ("<=", a.at_most)) if value]
        where = f" in {a.locale}" if a.locale else ""
        return f"{subject} number {' and '.join(bounds)}{where}"
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
    except ScopeNotFound as err:
        error = f"cannot check: scope not found — {err}"
    except WordingError as err:
        error = str(err)
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
