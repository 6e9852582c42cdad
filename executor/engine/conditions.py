"""Page conditions (`when: {visible: ...}`, `pause_for_operator.until`): true or false within a
bounded wait. Expression conditions are rendered by the plan's templates (see the engine)."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from typing import Literal

from playwright.async_api import Page

from executor.engine.locate import LocatorNotFound, ScopeNotFound, probe
from executor.model.catalogue import Catalogue
from executor.model.runbook import Condition, TargetRef


async def page_condition(page: Page, catalogue: Catalogue, cond: Condition, *, wait_ms: float) -> bool:
    deadline = time.monotonic() + wait_ms / 1000
    if cond.url_matches is not None:
        pattern = re.compile(cond.url_matches)
        return await poll(lambda: _true(pattern.search(page.url) is not None), deadline)
    if cond.visible is not None:
        return await _element_state(page, catalogue, cond.visible, "visible", deadline)
    if cond.hidden is not None:
        return await _element_state(page, catalogue, cond.hidden, "hidden", deadline)
    return True


# How long a condition waits for the region its target lives in (a `within` scope, a frame)
# before saying it cannot check: a page may still be loading it.
SCOPE_WAIT_MS = 5_000


class CannotCheck(Exception):
    """A page condition about a target whose scope is not on the page: neither true nor false."""


async def _element_state(
    page: Page, catalogue: Catalogue, target: TargetRef, state: Literal["visible", "hidden"], deadline: float
) -> bool:
    scope_wait = max(SCOPE_WAIT_MS, (deadline - time.monotonic()) * 1000)

    async def look() -> bool:
        try:
            res = await probe(page, catalogue, target, scope_timeout_ms=scope_wait)
        except ScopeNotFound as err:
            # "Is the unpaid total visible?" must not answer no because the summary is gone.
            raise CannotCheck(f"cannot check {target.describe()} {state}: scope not found — {err}") from None
        if res is None:
            return state == "hidden"  # absent (inside a scope that is there) is hidden
        return await (res.locator.is_visible() if state == "visible" else res.locator.is_hidden())

    return await poll(look, deadline)


async def _true(value: bool) -> bool:
    return value


async def poll(look: Callable[[], Awaitable[bool]], deadline: float) -> bool:
    """Ask `look` until it says yes or the deadline passes (a bounded wait, short backoff)."""
    delays = (0.025, 0.05, 0.1, 0.25, 0.5)
    attempt = 0
    while True:
        try:
            if await look():
                return True
        except LocatorNotFound:
            pass
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        await asyncio.sleep(min(delays[min(attempt, len(delays) - 1)], remaining))
        attempt += 1


def describe_condition(cond: Condition) -> str:
    if cond.expr is not None:
        return cond.expr
    within = f" within {cond.within_ms} ms" if cond.within_ms else ""
    if cond.url_matches is not None:
        return f"url matches {cond.url_matches!r}{within}"
    if cond.visible is not None:
        return f"{cond.visible.describe()} visible{within}"
    if cond.hidden is not None:
        return f"{cond.hidden.describe()} hidden{within}"
    return "condition"
