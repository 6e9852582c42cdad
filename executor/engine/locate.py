"""Catalogue entry + args -> one strict Playwright `Locator`, and which candidate found it.

Candidates are tried in order and the first that matches exactly one element wins; more than one
match is an error (never "take the first"): clicking the wrong "Remove" button is worse than
stopping. Pages load asynchronously, so resolution looks again until the step's deadline (the
browser waits for a first element, then counts), and the earliest candidate that resolves on a
look wins. Everything stays lazy: the result is a `Locator` that Playwright re-queries on use,
never an element handle.

Counting costs a browser round trip per candidate and scope level, so two things keep it cheap:
the first candidates of a scoped entry are counted together, and a page's `Memo`
(`executor.engine.memo`) hands out first-candidate resolutions again without counting.

An entry may live in an `<iframe>` (`frame:` in the catalogue): its frame entry is resolved first
and its candidates are looked for in that frame's document, across origins and nested frames
(Playwright's frame locators). When a target is not found, the error lists the closest elements
on the page as ready-to-paste candidates (`executor.engine.suggestions`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Locator, Page
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from executor.engine.candidates import (
    Root,
    candidate_locator,
    cell_locator,
    describe,
    fill_placeholders,
    filled_candidate,
)
from executor.engine.suggestions import Diagnosis, suggest
from executor.events import LocatorMatch
from executor.model.catalogue import Candidate, Catalogue, CatalogueEntry
from executor.model.runbook import TargetRef

Mode = Literal["strict", "any"]
# strict: exactly one element (actions, most assertions)
# any:    at least one (count assertions, `extract what: count`) - the first candidate that finds any

# Poll delays (ms) while some candidate matches several elements (a list still filling in): quick
# at first, then steady so a slow page is not hammered with queries. While nothing matches, the
# browser itself waits for the first element (`_attached`).
BACKOFF_MS = (0, 25, 50, 100, 250, 500)



class LocatorError(Exception):
    """A target could not be turned into one element. Messages are plain; the engine adds the step."""

    def __init__(
        self,
        message: str,
        *,
        entry: str = "",
        tried: tuple[tuple[str, int], ...] = (),
        url: str = "",
        diagnosis: Diagnosis | None = None,
    ):
        super().__init__(message)
        self.entry = entry
        self.tried = tried
        self.url = url
        self.diagnosis = diagnosis or Diagnosis()


class UnknownEntry(LocatorError):
    pass


class LocatorNotFound(LocatorError):
    pass


class LocatorAmbiguous(LocatorError):
    pass


class ScopeNotFound(LocatorError):
    """The region a target lives in (its `within`, or its frame) is not on the page. Not a
    `LocatorNotFound`: a check of absence ("no unpaid line in the summary") must not pass because
    the summary itself could not be seen."""


@dataclass(frozen=True)
class Resolution:
    entry: str
    target: str  # entry with args, for messages
    locator: Locator
    candidate_index: int
    candidate_count: int
    description: str
    fallback: bool
    scope: Resolution | None = None
    # A page's memo may hand it out again (not when found in a frame, or by a column's position).
    memorable: bool = True

    def match(self) -> LocatorMatch:
        return LocatorMatch(
            entry=self.entry,
            target=self.target,
            candidate_index=self.candidate_index,
            candidate_count=self.candidate_count,
            description=self.description,
            fallback=self.fallback,
        )


# --- resolution ----------------------------------------------------------------------------------


def entry_of(catalogue: Catalogue, name: str) -> CatalogueEntry:
    entry = catalogue.entries.get(name)
    if entry is None:
        raise UnknownEntry(f"selector {name} is not in the catalogue", entry=name)
    return entry


def _target_text(entry: str, args: Mapping[str, str]) -> str:
    return entry if not args else f"{entry}({', '.join(f'{k}={v}' for k, v in args.items())})"


def _url(page: Page) -> str:
    try:
        return page.url
    except Exception:  # noqa: BLE001 - a closed page has no URL; the message says so
        return "<closed page>"


async def _count(locator: Locator) -> int:
    try:
        return await locator.count()
    except PlaywrightError as err:
        if locator.page.is_closed():
            raise
        # The page is navigating (its execution context went away mid-query): nothing found on
        # this poll; the next one looks at the new document.
        if "context was destroyed" in err.message or "navigat" in err.message or "detached" in err.message:
            return 0
        raise


async def _attached(locators: list[Locator], remaining_s: float) -> bool:
    """Wait until some candidate has an element or the time is up; False when the wait broke off
    early (the document went away mid-wait), so the caller backs off before counting again."""
    anyone = locators[0]
    for locator in locators[1:]:
        anyone = anyone.or_(locator)
    try:
        await anyone.first.wait_for(state="attached", timeout=max(remaining_s * 1000, 1))
    except PlaywrightTimeoutError:
        return True
    except PlaywrightError:
        if anyone.page.is_closed():
            raise
        return False
    return True


def _tried(descriptions: list[str], counts: list[int | None]) -> str:
    parts = [f"{d} ({'not tried' if c is None else c})" for d, c in zip(descriptions, counts)]
    return ", ".join(parts)


async def _root(
    page: Page,
    catalogue: Catalogue,
    entry: CatalogueEntry,
    args: Mapping[str, str],
    *,
    wait: bool,
    deadline: float,
    diagnose: bool,
) -> tuple[Root, Resolution | None, bool]:
    """Where the entry's candidates are looked for: the page, its scope (`within`), or its frame's
    document; the scope's resolution; whether the result may be remembered."""
    outer = entry.within or entry.frame
    if outer is None:
        return page, None, True
    outer_args = {k: fill_placeholders(v, args) for k, v in outer.args.items()}
    outer_ref = TargetRef(entry=outer.entry, args=outer_args)
    try:
        scope = await resolve(
            page, catalogue, outer_ref, timeout_ms=0, wait=wait, diagnose=diagnose, _deadline=deadline
        )
    except (LocatorNotFound, ScopeNotFound) as err:
        what = "scope" if entry.within is not None else "frame"
        raise ScopeNotFound(
            f"{err} (the {what} of {_target_text(entry.name, args)})",
            entry=entry.name, tried=err.tried, url=err.url, diagnosis=err.diagnosis,
        ) from None
    except LocatorError as err:
        what = "scope" if entry.within is not None else "frame"
        raise type(err)(
            f"{err} (the {what} of {_target_text(entry.name, args)})",
            entry=entry.name, tried=err.tried, url=err.url, diagnosis=err.diagnosis,
        ) from None
    if entry.within is not None:
        return scope.locator, scope, scope.memorable
    return scope.locator.content_frame, scope, False


async def resolve(
    page: Page,
    catalogue: Catalogue,
    target: TargetRef | str,
    *,
    timeout_ms: float,
    mode: Mode = "strict",
    wait: bool = True,
    diagnose: bool | None = None,
    scope_timeout_ms: float | None = None,
    _deadline: float | None = None,
) -> Resolution:
    """Find the element `target` names. `wait=False` probes once (a `hidden` assertion, a condition);
    `scope_timeout_ms` lets such a probe still wait for the target's scope or frame.

    Raises LocatorNotFound / LocatorAmbiguous (listing every candidate and its count, and with
    `diagnose` (default: when waiting) the closest elements on the page) when the deadline passes,
    ScopeNotFound when the region the target lives in is missing, UnknownEntry for a name the
    catalogue lacks.
    """
    ref = TargetRef(entry=target) if isinstance(target, str) else target
    entry = entry_of(catalogue, ref.entry)
    args = {k: str(v) for k, v in ref.args.items()}
    diagnose = wait if diagnose is None else diagnose
    missing = [a for a in entry.args if a not in args]
    if missing:
        raise LocatorError(f"selector {entry.name} needs argument(s) {', '.join(missing)}", entry=entry.name)
    deadline = _deadline if _deadline is not None else time.monotonic() + timeout_ms / 1000

    if entry.within is not None and _deadline is None:
        found = await _first_candidates(page, catalogue, entry, args, mode)
        if found is not None:
            return found

    if scope_timeout_ms is not None and (entry.within or entry.frame):
        root, scope, memorable = await _root(
            page, catalogue, entry, args, wait=True, diagnose=False,
            deadline=time.monotonic() + scope_timeout_ms / 1000,
        )
    else:
        root, scope, memorable = await _root(
            page, catalogue, entry, args, wait=wait, diagnose=diagnose, deadline=deadline
        )

    candidates = [filled_candidate(c, args, entry.name, catalogue.values) for c in entry.candidates]
    descriptions = [describe(c) for c in candidates]
    headers: list[str] = []
    locators: list[Locator] = []
    for candidate in candidates:
        if candidate.kind == "cell":
            assert candidate.text is not None
            cell = await cell_locator(root, candidate.text, max((deadline - time.monotonic()) * 1000, 500))
            headers = headers or cell.headers
            locators.append(cell.locator)
            memorable = False
        else:
            locators.append(candidate_locator(root, candidate))
    counts: list[int | None] = [None] * len(candidates)
    attempt = 0
    while True:
        counts = [None] * len(candidates)
        for index, locator in enumerate(locators):
            counts[index] = n = await _count(locator)
            if n == 1 or (mode == "any" and n > 1):
                return Resolution(
                    entry=entry.name,
                    target=_target_text(entry.name, args),
                    locator=locator,
                    candidate_index=index,
                    candidate_count=len(candidates),
                    description=descriptions[index],
                    fallback=index > 0,
                    scope=scope,
                    memorable=memorable,
                )
        remaining = deadline - time.monotonic()
        if not wait or remaining <= 0:
            break
        # Nothing yet (the page is still loading): let the browser wait for the first element of
        # any candidate rather than polling from here, then count again.
        if not any(counts) and await _attached(locators, remaining):
            continue
        delay = BACKOFF_MS[min(attempt, len(BACKOFF_MS) - 1)] / 1000
        attempt += 1
        await asyncio.sleep(min(delay, max(remaining, 0)))

    target_text = _target_text(entry.name, args)
    where = f" inside {scope.target}" if scope is not None else ""
    tried = tuple((d, c or 0) for d, c in zip(descriptions, counts))
    url = _url(page)
    extra = f" (columns: {', '.join(repr(h) for h in headers)})" if headers else ""
    diagnosis = await suggest(root, candidates) if diagnose else Diagnosis()
    if diagnosis.text():
        extra += f" — {diagnosis.text()}"
    if any((c or 0) > 1 for c in counts):
        worst = max(c or 0 for c in counts)
        raise LocatorAmbiguous(
            f"selector {target_text} is ambiguous on {url}{where}: no candidate matches exactly one element "
            f"(up to {worst}) — tried {_tried(descriptions, counts)}{extra}",
            entry=entry.name,
            tried=tried,
            url=url,
            diagnosis=diagnosis,
        )
    raise LocatorNotFound(
        f"selector {target_text} not found on {url}{where} — tried {_tried(descriptions, counts)}{extra}",
        entry=entry.name,
        tried=tried,
        url=url,
        diagnosis=diagnosis,
    )


def _chain(catalogue: Catalogue, entry: CatalogueEntry, args: Mapping[str, str]) -> list[tuple[CatalogueEntry, dict[str, str]]]:
    """The entry and its scopes, outermost first, each with its filled arguments."""
    chain = [(entry, dict(args))]
    while (scope := chain[-1][0].within) is not None:
        outer_args = {k: fill_placeholders(v, chain[-1][1]) for k, v in scope.args.items()}
        chain.append((entry_of(catalogue, scope.entry), outer_args))
    return chain[::-1]


async def _first_candidates(
    page: Page, catalogue: Catalogue, entry: CatalogueEntry, args: Mapping[str, str], mode: Mode
) -> Resolution | None:
    """One look at the first candidate of every level of a scoped entry, all counted at once.

    Scoped entries (a button in the row of an email, in the users table) otherwise cost one
    browser round trip per level, one after the other. The first candidates nearly always win,
    so count them together; every level must still match exactly one element. None sends the
    caller to the full search (fallbacks, waiting, diagnostics, frames, cells).
    """
    chain = _chain(catalogue, entry, args)
    if any(a not in a_args for e, a_args in chain for a in e.args):
        return None  # a scope that lacks an argument: the full search says which
    if chain[0][0].frame is not None or any(e.candidates[0].kind == "cell" for e, _ in chain):
        return None
    root: Root = page
    locators: list[Locator] = []
    candidates: list[Candidate] = []
    for level_entry, level_args in chain:
        candidate = filled_candidate(level_entry.candidates[0], level_args, level_entry.name, catalogue.values)
        root = candidate_locator(root, candidate)
        locators.append(root)
        candidates.append(candidate)
    counts = await asyncio.gather(*(_count(loc) for loc in locators))
    *outer, last = counts
    if any(n != 1 for n in outer) or not (last == 1 or (mode == "any" and last > 1)):
        return None
    scope: Resolution | None = None
    for (level_entry, level_args), candidate, locator in zip(chain, candidates, locators):
        scope = Resolution(
            entry=level_entry.name,
            target=_target_text(level_entry.name, level_args),
            locator=locator,
            candidate_index=0,
            candidate_count=len(level_entry.candidates),
            description=describe(candidate),
            fallback=False,
            scope=scope,
        )
    assert scope is not None
    return scope


async def probe(
    page: Page,
    catalogue: Catalogue,
    target: TargetRef | str,
    *,
    mode: Mode = "strict",
    scope_timeout_ms: float | None = None,
) -> Resolution | None:
    """One look, no waiting: the resolution, or None when no candidate matches (yet). Raises
    ScopeNotFound when the target's scope or frame is missing (waited for up to
    `scope_timeout_ms`): absence inside a region that is not there proves nothing."""
    try:
        return await resolve(
            page, catalogue, target, timeout_ms=0, mode=mode, wait=False, scope_timeout_ms=scope_timeout_ms
        )
    except LocatorNotFound:
        return None
