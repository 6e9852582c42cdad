"""A page's memo of targets that resolved to their first candidates (see `Memo`)."""

from __future__ import annotations

from playwright.async_api import Page

from executor.engine.locate import Resolution
from executor.engine.page_state import page_state
from executor.model.catalogue import Catalogue
from executor.model.runbook import TargetRef


class Memo:
    """Targets that resolved to their first candidates (at every scope level) on one page.

    The strict search costs a browser round trip per candidate and level, and a job looks up the
    same targets again and again (the Options menu, the users table). When the first candidate
    matched exactly one element, it wins by definition whatever the others match, so a later look
    can hand out the same locator without counting: Playwright's actions and assertions are strict
    themselves (they refuse a locator that matches several elements, before acting) and wait for
    the element to appear. What a memo hit skips is the diagnosis; the engine makes it when the
    operation fails (`StepRun.trusting`), and forgets the target, so the next look searches again.
    Only first-candidate resolutions are kept: a fallback that won once is searched every time,
    so the order of the candidates keeps its meaning. Neither are targets in a frame or found by
    a column's header: the first waits for a document of its own, the second holds a position.
    """

    def __init__(self) -> None:
        self._won: dict[tuple[str, tuple[tuple[str, str], ...]], Resolution] = {}

    @staticmethod
    def _key(target: TargetRef) -> tuple[str, tuple[tuple[str, str], ...]]:
        return target.entry, tuple(sorted((k, str(v)) for k, v in target.args.items()))

    def get(self, target: TargetRef) -> Resolution | None:
        return self._won.get(self._key(target))

    def remember(self, target: TargetRef, resolution: Resolution) -> None:
        level: Resolution | None = resolution
        while level is not None:
            if level.candidate_index != 0 or not level.memorable:
                return
            level = level.scope
        self._won[self._key(target)] = resolution

    def forget(self, target: TargetRef) -> None:
        self._won.pop(self._key(target), None)


def memo_for(page: Page, catalogue: Catalogue) -> Memo:
    """The page's memo for this catalogue: a bulk worker's page runs hundreds of jobs, and what
    the first one learned (the menu, the users table, the license rows) holds for the next."""
    state = page_state(page)
    held = state.get("memo")
    if held is None or held[0] is not catalogue:
        held = state["memo"] = (catalogue, Memo())
    return held[1]


