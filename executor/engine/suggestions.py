"""When a target is not found (or is ambiguous): what *is* on the page, as candidates to paste.

The closest elements come from Playwright's own aria snapshot (role and accessible name exactly
as `get_by_role` sees them, so every suggestion is a candidate that works), ranked by how close
their name is to what the catalogue asked for. A look at the DOM adds the hints that explain the
usual surprises:
- a `<label>` that wraps its control: its text holds the options' text too, so an exact label
  finds nothing;
- a `<summary>`: it has no button role;
- the element is there but hidden (in a closed `<details>`, a collapsed menu).
Only computed after a real failure (never for a probe), so it costs nothing on the happy path.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Locator

from executor.engine.candidates import Root
from executor.model.catalogue import Candidate

MAX_SUGGESTIONS = 3
MAX_SAME_ROLE = 5
MIN_SCORE = 0.6
ROLE_BONUS = 0.25
_ARIA_LINE = re.compile(r'^\s*- (?P<role>[a-z]+)(?: "(?P<name>(?:[^"\\]|\\.)*)")?')
# Roles worth suggesting: things a runbook acts on or reads.
_ROLES = frozenset(
    "button link textbox combobox checkbox radio spinbutton searchbox listbox option menuitem tab "
    "heading row cell gridcell columnheader rowheader dialog alertdialog status alert region table "
    "grid img switch slider".split()
)

# Hints from the DOM: wrapped labels, <summary> elements, and hidden matches, for the wanted texts.
_HINTS = """(root, wanted) => {
  const norm = s => (s || '').replace(/\\s+/g, ' ').trim();
  const near = t => { const n = norm(t).toLowerCase(); return wanted.some(w => n && (n === w || n.includes(w) || w.includes(n))); };
  const controls = 'select, input, textarea';
  const own = label => norm(Array.from(label.childNodes).filter(n => n.nodeType === 3 || !n.matches(controls)).map(n => n.textContent).join(' '));
  const out = {labels: [], summaries: [], hidden: []};
  for (const label of root.querySelectorAll('label')) {
    if (label.querySelector(controls) && near(own(label))) {
      const options = Array.from(label.querySelectorAll('option')).map(o => norm(o.textContent));
      out.labels.push({own: own(label), full: norm([own(label), ...options].join(' '))});
    }
  }
  for (const s of root.querySelectorAll('summary')) if (near(s.textContent)) out.summaries.push(norm(s.textContent));
  // checkVisibility sees what offsetWidth does not: a closed <details> hides its content with
  // content-visibility, not display.
  const visible = el => el.checkVisibility
    ? el.checkVisibility({checkVisibilityCSS: true, contentVisibilityAuto: true})
    : !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  for (const el of root.querySelectorAll('a, button, input, select, textarea, [role], label, summary')) {
    const text = norm(el.getAttribute('aria-label') || el.textContent || el.getAttribute('value') || '');
    if (!visible(el) && near(text)) {
      const closed = el.closest('details:not([open])');
      const where = closed ? norm((closed.querySelector('summary') || {}).textContent || '') : '';
      out.hidden.push({text, tag: el.tagName.toLowerCase(), details: where});
    }
    if (out.hidden.length >= 3) break;
  }
  return out;
}"""


@dataclass(frozen=True)
class Suggestion:
    role: str
    name: str
    score: float

    def candidate(self) -> str:
        """The YAML to paste into the catalogue."""
        return f"{{role: {self.role}, name: {json.dumps(self.name, ensure_ascii=False)}, exact: true}}"


def wanted_texts(candidates: list[Candidate]) -> list[str]:
    """What the catalogue was looking for, as plain lower-case text (regexes stripped of syntax)."""
    found: list[str] = []
    for c in candidates:
        match = c.name or c.text or c.has_text
        if match is None:
            continue
        text = match.value
        if match.regex:
            text = re.sub(r"\\[bBdDsSwW]|[\^$()?*+|\[\]{}.\\]", " ", text)
        text = re.sub(r"\s+", " ", text).strip().lower()
        if text:
            found.append(text)
    return found


def wanted_roles(candidates: list[Candidate]) -> set[str]:
    return {c.role for c in candidates if c.role}


def parse_aria(snapshot: str) -> list[tuple[str, str]]:
    """(role, name) of every named element of an aria snapshot."""
    found: list[tuple[str, str]] = []
    for line in snapshot.splitlines():
        m = _ARIA_LINE.match(line)
        if m and m["name"] and m["role"] in _ROLES:
            found.append((m["role"], json.loads(f'"{m["name"]}"')))
    return found


def rank(elements: list[tuple[str, str]], texts: list[str], roles: set[str]) -> list[Suggestion]:
    best: dict[tuple[str, str], float] = {}
    for role, name in elements:
        lowered = name.lower()
        score = max((difflib.SequenceMatcher(None, t, lowered).ratio() for t in texts), default=0.0)
        if any(t and (t in lowered or lowered in t) for t in texts):
            score = max(score, 0.7)
        if role in roles:
            score += ROLE_BONUS
        key = (role, name)
        best[key] = max(best.get(key, 0.0), score)
    ranked = sorted((Suggestion(r, n, s) for (r, n), s in best.items() if s >= MIN_SCORE), key=lambda s: -s.score)
    return ranked[:MAX_SUGGESTIONS]


@dataclass(frozen=True)
class Diagnosis:
    """What the page offers instead of a missing target."""

    suggestions: tuple[Suggestion, ...] = ()
    hints: tuple[str, ...] = ()
    # Nothing looks like it (a label reworded, translated): the elements of the wanted role.
    same_role: tuple[Suggestion, ...] = ()

    def text(self) -> str:
        """For the error message: the closest elements as candidates, then the hints."""
        parts = ["closest on the page: " + "; ".join(s.candidate() for s in self.suggestions)] if self.suggestions else []
        if not self.suggestions and self.same_role:
            parts.append(f"{self.same_role[0].role}s on the page: " + "; ".join(s.candidate() for s in self.same_role))
        return " — ".join([*parts, *self.hints])


async def suggest(root: Root, candidates: list[Candidate]) -> Diagnosis:
    """The closest elements and the hints; empty when nothing close is on the page (or the page
    cannot be read)."""
    texts, roles = wanted_texts(candidates), wanted_roles(candidates)
    scope: Locator = root if isinstance(root, Locator) else root.locator(":root")
    try:
        snapshot = await scope.aria_snapshot(timeout=2_000)
        elements = parse_aria(snapshot)
        found = rank(elements, texts, roles)
        hints = await scope.evaluate(_HINTS, texts, timeout=2_000) if texts else {}
    except PlaywrightError:
        return Diagnosis()
    same_role = tuple(dict.fromkeys(Suggestion(r, n, 0.0) for r, n in elements if r in roles))[:MAX_SAME_ROLE]
    return Diagnosis(tuple(found), tuple(_hint_lines(hints, candidates)), same_role)


def _hint_lines(hints: dict[str, list[object]], candidates: list[Candidate]) -> list[str]:
    lines: list[str] = []
    for label in hints.get("labels", [])[:1]:
        assert isinstance(label, dict)
        lines.append(
            f"hint: the label {label['own']!r} wraps its control, so the label's text is {label['full']!r} "
            f"(the options' text included): drop `exact`, match a regex such as "
            f"/^{re.escape(str(label['own']))}/, or use the control's role (combobox, textbox) with that name"
        )
    if any(c.role == "button" for c in candidates):
        for summary in hints.get("summaries", [])[:1]:
            lines.append(
                f"hint: {summary!r} is a <summary>, which has no button role: use "
                f"{{text: {json.dumps(summary, ensure_ascii=False)}, exact: true}}"
            )
    for hidden in hints.get("hidden", [])[:1]:
        assert isinstance(hidden, dict)
        where = f" inside the closed <details> {hidden['details']!r}" if hidden.get("details") else ""
        lines.append(
            f"hint: the <{hidden['tag']}> {hidden['text']!r} is on the page but hidden{where}: "
            "open what holds it first (click its summary or menu button), then act on it"
        )
    return lines
