"""Catalogue entry + args -> one strict Playwright `Locator`, and which candidate found it.

Candidates are tried in order and the first that matches exactly one element wins; more than one
match is an error (never "take the first"): clicking the wrong "Remove" button is worse than
stopping. Pages load asynchronously, so resolution looks again until the step's deadline (the
browser waits for a first element, then counts), and the earliest candidate that resolves on a
look wins. Everything stays lazy: the result is a `Locator` that Playwright re-queries on use,
never an element handle.

Counting costs a browser round trip per candidate and scope level, so two things keep it cheap:
the first candidates of a scoped entry are counted together, and a page's `Memo` hands out
first-candidate resolutions again without counting (see there why that keeps the semantics).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Locator, Page
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from executor.events import LocatorMatch
from executor.page_state import page_state
from executor.model.catalogue import Candidate, Catalogue, CatalogueEntry, TextMatch
from executor.model.runbook import TargetRef

Mode = Literal["strict", "any"]
# strict: exactly one element (actions, most assertions)
# any:    at least one (count assertions, `extract what: count`) - the first candidate that finds any

# Poll delays (ms) while some candidate matches several elements (a list still filling in): quick
# at first, then steady so a slow page is not hammered with queries. While nothing matches, the
# browser itself waits for the first element (`_attached`).
BACKOFF_MS = (0, 25, 50, 100, 250, 500)

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
# Characters with a meaning in a JavaScript regex; Python's re.escape also escapes characters that
# are invalid identity escapes under the `u` flag, so escape only these.
_JS_SPECIAL = re.compile(r"[\\^$.*+?()\[\]{}|/]")


class LocatorError(Exception):
    """A target could not be turned into one element. Messages are plain; the engine adds the step."""

    def __init__(
        self, message: str, *, entry: str = "", tried: tuple[tuple[str, int], ...] = (), url: str = ""
    ):
        super().__init__(message)
        self.entry = entry
        self.tried = tried
        self.url = url


class UnknownEntry(LocatorError):
    pass


class LocatorNotFound(LocatorError):
    pass


class LocatorAmbiguous(LocatorError):
    pass


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

    def match(self) -> LocatorMatch:
        return LocatorMatch(
            entry=self.entry,
            target=self.target,
            candidate_index=self.candidate_index,
            candidate_count=self.candidate_count,
            description=self.description,
            fallback=self.fallback,
        )


# --- building Playwright locators from candidates -------------------------------------------------


def js_escape(text: str) -> str:
    return _JS_SPECIAL.sub(lambda m: "\\" + m.group(0), text)


def fill_placeholders(template: str, args: Mapping[str, str], *, regex: bool = False, entry: str = "") -> str:
    """Replace `{arg}` with its value; a regex gets the value escaped. Unknown names are left
    alone (a regex quantifier such as `{2}` is not an argument)."""

    def replace(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in args:
            return m.group(0)
        value = str(args[name])
        return js_escape(value) if regex else value

    return _PLACEHOLDER.sub(replace, template)


def _filled(text: TextMatch | None, args: Mapping[str, str], entry: str) -> TextMatch | None:
    if text is None:
        return None
    value = fill_placeholders(text.value, args, regex=text.regex, entry=entry)
    return text if value == text.value else text.model_copy(update={"value": value})


def filled_candidate(candidate: Candidate, args: Mapping[str, str], entry: str = "") -> Candidate:
    """The candidate with its `{arg}` placeholders filled (what is shown in messages)."""
    update: dict[str, Any] = {
        "name": _filled(candidate.name, args, entry),
        "text": _filled(candidate.text, args, entry),
        "has_text": _filled(candidate.has_text, args, entry),
    }
    if candidate.css is not None:
        update["css"] = fill_placeholders(candidate.css, args)
    return candidate.model_copy(update=update)


def describe(candidate: Candidate) -> str:
    text = candidate.describe()
    if candidate.has_text is not None:
        text += f" has_text={candidate.has_text.describe()}"
    return text


def _pattern(text: TextMatch) -> str | re.Pattern[str]:
    if text.regex:
        return re.compile(text.value, re.IGNORECASE if text.ignore_case else 0)
    if text.exact and text.ignore_case:
        return re.compile(f"^{re.escape(text.value)}$", re.IGNORECASE)
    return text.value


def _exact(text: TextMatch) -> bool | None:
    # Playwright ignores `exact` for a regex; a literal is a case-insensitive substring unless exact.
    return True if (text.exact and not text.regex and not text.ignore_case) else None


Root = Page | Locator


def candidate_locator(root: Root, candidate: Candidate) -> Locator:
    """The Playwright locator for an already-filled candidate, under `root` (the page or a scope)."""
    kind = candidate.kind
    if kind == "role":
        assert candidate.role is not None
        role_options: dict[str, Any] = {}
        if candidate.level is not None:
            role_options["level"] = candidate.level
        if candidate.name is not None:
            role_options["name"] = _pattern(candidate.name)
            role_options["exact"] = _exact(candidate.name)
        loc = root.get_by_role(candidate.role, **role_options)  # type: ignore[arg-type]  # the loader checks roles
    elif kind == "css":
        assert candidate.css is not None
        loc = root.locator(candidate.css)
    elif kind == "test_id":
        assert candidate.text is not None
        loc = root.get_by_test_id(_pattern(candidate.text))
    else:
        assert candidate.text is not None
        by = {
            "label": root.get_by_label,
            "text": root.get_by_text,
            "placeholder": root.get_by_placeholder,
            "alt": root.get_by_alt_text,
            "title": root.get_by_title,
        }[kind]
        loc = by(_pattern(candidate.text), exact=_exact(candidate.text))
    if candidate.has_text is not None:
        loc = loc.filter(has_text=_pattern(candidate.has_text))
    return loc


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
        if "context was destroyed" in err.message or "navigat" in err.message:
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


async def resolve(
    page: Page,
    catalogue: Catalogue,
    target: TargetRef | str,
    *,
    timeout_ms: float,
    mode: Mode = "strict",
    wait: bool = True,
    _deadline: float | None = None,
) -> Resolution:
    """Find the element `target` names. `wait=False` probes once (a `hidden` assertion, a condition).

    Raises LocatorNotFound / LocatorAmbiguous (listing every candidate and its count) when the
    deadline passes, UnknownEntry for a name the catalogue lacks.
    """
    ref = TargetRef(entry=target) if isinstance(target, str) else target
    entry = entry_of(catalogue, ref.entry)
    args = {k: str(v) for k, v in ref.args.items()}
    missing = [a for a in entry.args if a not in args]
    if missing:
        raise LocatorError(f"selector {entry.name} needs argument(s) {', '.join(missing)}", entry=entry.name)
    deadline = _deadline if _deadline is not None else time.monotonic() + timeout_ms / 1000

    if entry.within is not None and _deadline is None:
        found = await _first_candidates(page, catalogue, entry, args, mode)
        if found is not None:
            return found

    scope: Resolution | None = None
    root: Root = page
    if entry.within is not None:
        scope_args = {k: fill_placeholders(v, args) for k, v in entry.within.args.items()}
        scope_ref = TargetRef(entry=entry.within.entry, args=scope_args)
        try:
            scope = await resolve(page, catalogue, scope_ref, timeout_ms=0, wait=wait, _deadline=deadline)
        except LocatorError as err:
            raise type(err)(
                f"{err} (the scope of {_target_text(entry.name, args)})",
                entry=entry.name,
                tried=err.tried,
                url=err.url,
            ) from None
        root = scope.locator

    candidates = [filled_candidate(c, args, entry.name) for c in entry.candidates]
    descriptions = [describe(c) for c in candidates]
    locators = [candidate_locator(root, c) for c in candidates]
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
    if any((c or 0) > 1 for c in counts):
        worst = max(c or 0 for c in counts)
        raise LocatorAmbiguous(
            f"selector {target_text} is ambiguous on {url}{where}: no candidate matches exactly one element "
            f"(up to {worst}) — tried {_tried(descriptions, counts)}",
            entry=entry.name,
            tried=tried,
            url=url,
        )
    raise LocatorNotFound(
        f"selector {target_text} not found on {url}{where} — tried {_tried(descriptions, counts)}",
        entry=entry.name,
        tried=tried,
        url=url,
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
    caller to the full search (fallbacks, waiting, diagnostics).
    """
    chain = _chain(catalogue, entry, args)
    if any(a not in a_args for e, a_args in chain for a in e.args):
        return None  # a scope that lacks an argument: the full search says which
    root: Root = page
    locators: list[Locator] = []
    candidates: list[Candidate] = []
    for level_entry, level_args in chain:
        candidate = filled_candidate(level_entry.candidates[0], level_args, level_entry.name)
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


class Memo:
    """Targets that resolved to their first candidates (at every scope level) on one page.

    The strict search costs a browser round trip per candidate and level, and a job looks up the
    same targets again and again (the Options menu, the users table). When the first candidate
    matched exactly one element, it wins by definition whatever the others match, so a later look
    can hand out the same locator without counting: Playwright's actions and assertions are strict
    themselves (they refuse a locator that matches several elements, before acting) and wait for
    the element to appear. What a memo hit skips is the diagnosis; the engine makes it when the
    operation fails (`StepRun.explain`), and forgets the target, so the next look searches again.
    Only first-candidate resolutions are kept: a fallback that won once is searched every time,
    so the order of the candidates keeps its meaning.
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
            if level.candidate_index != 0:
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


async def probe(
    page: Page, catalogue: Catalogue, target: TargetRef | str, *, mode: Mode = "strict"
) -> Resolution | None:
    """One look, no waiting: the resolution, or None when no candidate matches (yet)."""
    try:
        return await resolve(page, catalogue, target, timeout_ms=0, mode=mode, wait=False)
    except LocatorNotFound:
        return None
