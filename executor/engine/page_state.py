"""What is kept for the life of a page rather than of one job on it.

A bulk worker's page runs hundreds of jobs: the resolution memo and the server-error watch belong
to the page, so what one job learned serves the next and listeners do not pile up. Both refer to
the page, so a weak mapping keyed by the page would never let it go; the entry is dropped when the
page closes instead (closing a context closes its pages).
"""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page

_STATE: dict[int, dict[str, Any]] = {}


def page_state(page: Page) -> dict[str, Any]:
    key = id(page)
    state = _STATE.get(key)
    if state is None:
        state = _STATE[key] = {}
        page.once("close", lambda *_: _STATE.pop(key, None))
    return state
