"""What is kept for the life of a page rather than of one job on it.

A bulk worker's page runs hundreds of jobs: the resolution memo and the server-error watch belong
to the page, so what one job learned serves the next and listeners do not pile up. Both refer to
the page, so a weak mapping keyed by the page would never let it go; the entry is dropped when the
page closes instead (closing a context closes its pages).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from playwright.async_api import Page

T = TypeVar("T")

_STATE: dict[int, dict[str, Any]] = {}


def page_state(page: Page) -> dict[str, Any]:
    key = id(page)
    state = _STATE.get(key)
    if state is None:
        state = _STATE[key] = {}
        page.once("close", lambda *_: _STATE.pop(key, None))
    return state


def kept(page: Page, key: str, make: Callable[[Page], T]) -> T:
    """The page's one `key` object, made by `make(page)` on first use: a listener per job would
    pile up on a bulk worker's page, which runs hundreds of jobs."""
    state = page_state(page)
    found = state.get(key)
    if found is None:
        found = state[key] = make(page)
    return found  # type: ignore[no-any-return]
