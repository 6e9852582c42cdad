"""Catalogue candidates -> Playwright locators: `{arg}` placeholders filled, JS-style regexes,
and the one candidate kind that needs a look at the page first (`cell`: a column found by its
header)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import FrameLocator, Locator, Page

from executor.model.catalogue import Candidate, TextMatch, ValueSet

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
# Characters with a meaning in a JavaScript regex; Python's re.escape also escapes characters that
# are invalid identity escapes under the `u` flag, so escape only these.
_JS_SPECIAL = re.compile(r"[\\^$.*+?()\[\]{}|/]")

Root = Page | Locator | FrameLocator


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


def _labelled(args: Mapping[str, str], values: Mapping[str, ValueSet], template: str) -> dict[str, tuple[str, ...]]:
    """The args of `template` that name a value set and hold one of its values: their labels."""
    found: dict[str, tuple[str, ...]] = {}
    for name in _PLACEHOLDER.findall(template):
        value_set = values.get(name)
        if value_set is not None and name in args and value_set.labels_of(str(args[name])):
            found[name] = value_set.labels_of(str(args[name]))
    return found


def _with_labels(text: TextMatch, args: Mapping[str, str], labels: dict[str, tuple[str, ...]]) -> TextMatch:
    """`{tier}` -> any of the tier's labels, so `Quantity of {tier} licenses` finds "Quantité de
    licences Éco" as well. A literal becomes the equivalent regex (a substring, ignoring case, as
    Playwright matches a literal; anchored when exact)."""

    def piece(chunk: str) -> str:
        return chunk if text.regex else js_escape(chunk)

    out: list[str] = []
    last = 0
    for m in _PLACEHOLDER.finditer(text.value):
        out.append(piece(text.value[last : m.start()]))
        name = m.group(1)
        if name in labels:
            options = list(dict.fromkeys(js_escape(label) for label in labels[name]))
            out.append(options[0] if len(options) == 1 else "(?:" + "|".join(options) + ")")
        elif name in args:
            out.append(js_escape(str(args[name])))
        else:
            out.append(m.group(0))
        last = m.end()
    out.append(piece(text.value[last:]))
    body = "".join(out)
    if text.regex:
        return text.model_copy(update={"value": body})
    anchored = f"^{body}$" if text.exact else body
    return TextMatch(value=anchored, regex=True, ignore_case=text.ignore_case or not text.exact)


def _filled(
    text: TextMatch | None, args: Mapping[str, str], entry: str, values: Mapping[str, ValueSet]
) -> TextMatch | None:
    if text is None:
        return None
    labels = _labelled(args, values, text.value) if values else {}
    if labels:
        return _with_labels(text, args, labels)
    value = fill_placeholders(text.value, args, regex=text.regex, entry=entry)
    return text if value == text.value else text.model_copy(update={"value": value})


def filled_candidate(
    candidate: Candidate, args: Mapping[str, str], entry: str = "", values: Mapping[str, ValueSet] | None = None
) -> Candidate:
    """The candidate with its `{arg}` placeholders filled (what is shown in messages). An arg named
    like one of the catalogue's value sets (`tier`) matches any label of its value (`Eco`, `Éco`)
    in names and texts; test ids and CSS take the value itself."""
    found = values or {}
    update: dict[str, Any] = {
        "name": _filled(candidate.name, args, entry, found),
        "text": _filled(candidate.text, args, entry, found if candidate.kind != "test_id" else {}),
        "has_text": _filled(candidate.has_text, args, entry, found),
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




# `cell`: which child of the row sits under the column whose header matches. One call into the
# page, for <table> (thead, else the first row; colspans counted) and ARIA grids alike.
_CELL_INDEX = """(row, spec) => {
  const norm = s => (s || '').replace(/\\s+/g, ' ').trim();
  const re = spec.regex ? new RegExp(spec.value, spec.ignoreCase ? 'i' : '') : null;
  const fits = raw => {
    const t = norm(raw);
    if (re) return re.test(t);
    if (spec.exact) return spec.ignoreCase ? t.toLowerCase() === spec.value.toLowerCase() : t === spec.value;
    return t.toLowerCase().includes(spec.value.toLowerCase());
  };
  const cellRoles = ['cell', 'gridcell', 'columnheader', 'rowheader'];
  const isCell = el => el.tagName === 'TD' || el.tagName === 'TH' || cellRoles.includes(el.getAttribute('role'));
  const grid = row.closest('table, [role=grid], [role=table], [role=treegrid]');
  if (!grid) return {error: 'the row is not in a table or grid', headers: []};
  let heads = [];
  if (grid.tagName === 'TABLE') {
    const head = grid.tHead && grid.tHead.rows.length ? grid.tHead.rows[grid.tHead.rows.length - 1] : grid.rows[0];
    heads = head ? Array.from(head.cells) : [];
  } else {
    const headRow = Array.from(grid.querySelectorAll('[role=row]')).find(r => r.querySelector('[role=columnheader]'));
    heads = headRow ? Array.from(headRow.children).filter(isCell) : [];
  }
  const headers = heads.map(h => norm(h.textContent));
  const wanted = [];
  let at = 0;
  for (const h of heads) { if (fits(h.textContent)) wanted.push(at); at += h.colSpan || 1; }
  if (wanted.length !== 1) return {count: wanted.length, headers};
  const children = Array.from(row.children);
  const controls = 'a[href], button, input, select, textarea, [role=button], [role=link]';
  at = 0;
  for (const cell of children.filter(isCell)) {
    const span = cell.colSpan || 1;
    if (wanted[0] >= at && wanted[0] < at + span) {
      // A bare number link in the cell is what a click means (not the cell's middle).
      return {index: children.indexOf(cell) + 1, control: cell.querySelectorAll(controls).length === 1, headers};
    }
    at += span;
  }
  return {count: 0, headers};
}"""


_CONTROLS = "a[href], button, input, select, textarea, [role=button], [role=link]"


class CellLookup:
    """The cell of a row found by its column's header: the locator, or why there is none."""

    def __init__(self, locator: Locator, count: int, headers: list[str]) -> None:
        self.locator = locator
        self.count = count  # 1 found; 0 no such column (or no cell under it); >1 several headers match
        self.headers = headers


async def cell_locator(row: Root, column: TextMatch, timeout_ms: float) -> CellLookup:
    """Find the column by its header text, then the row's cell under it (a lazy locator by
    position, re-queried on use). `row` must be a Locator of one row."""
    if not isinstance(row, Locator):
        raise TypeError("a cell candidate needs its row (`within`)")
    none = row.locator(":scope > :nth-child(0)")  # matches nothing: the count says why
    spec = {"value": column.value, "regex": column.regex, "ignoreCase": column.ignore_case or not column.regex and not column.exact, "exact": column.exact}
    try:
        found = await row.evaluate(_CELL_INDEX, spec, timeout=max(timeout_ms, 1))
    except PlaywrightError:
        return CellLookup(none, 0, [])
    headers = [str(h) for h in found.get("headers", [])]
    if "index" in found:
        cell = row.locator(f":scope > :nth-child({int(found['index'])})")
        if found.get("control"):
            cell = cell.locator(_CONTROLS)
        return CellLookup(cell, 1, headers)
    return CellLookup(none, int(found.get("count", 0)), headers)
