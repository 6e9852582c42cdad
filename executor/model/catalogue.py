"""The selector catalogue: logical names -> ordered candidate locators.

Candidates are tried in order; the first that matches exactly one element wins and the run
records its index, so drift shows up as "matched fallback 2 of 3" instead of a silent pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import Field

from executor.model.base import UNKNOWN_SOURCE, Frozen, SourceSpan

CandidateKind = Literal["role", "label", "text", "placeholder", "alt", "title", "test_id", "cell", "css"]


class TextMatch(Frozen):
    """A name or text to match: a literal (substring unless `exact`) or a regex.

    YAML writes a regex JS-style, `/^Manage Licen[cs]e$/i`; only the `i` flag is supported.
    `{arg}` placeholders are filled from the entry's arguments (regex-escaped inside a regex).
    """

    value: str
    regex: bool = False
    ignore_case: bool = False
    exact: bool = False

    def describe(self) -> str:
        if self.regex:
            return f"/{self.value}/{'i' if self.ignore_case else ''}"
        return repr(self.value)


class Candidate(Frozen):
    """One way to find the element. `kind` says which Playwright locator builds it:

    role        -> page.get_by_role(role, name=name)        (role + accessible name)
    label       -> page.get_by_label(text)
    text        -> page.get_by_text(text)
    placeholder -> page.get_by_placeholder(text)
    alt / title -> page.get_by_alt_text / get_by_title(text)
    test_id     -> page.get_by_test_id(text)
    cell        -> the cell of the scope row under the column whose header matches `text`
                   (<table> and ARIA grids alike; the entry's `within` is the row)
    css         -> page.locator(css)                         (last resort)
    `has_text` narrows any of them (Locator.filter(has_text=...)).
    """

    kind: CandidateKind
    role: str | None = None
    name: TextMatch | None = None
    level: int | None = None  # headings: get_by_role("heading", level=...)
    text: TextMatch | None = None
    css: str | None = None
    has_text: TextMatch | None = None
    source: SourceSpan = UNKNOWN_SOURCE

    def describe(self) -> str:
        if self.kind == "role":
            level = f" level={self.level}" if self.level is not None else ""
            return f"role={self.role}{level}" + (f" name={self.name.describe()}" if self.name else "")
        if self.kind == "css":
            return f"css={self.css!r}"
        assert self.text is not None
        if self.kind == "cell":
            return f"cell column={self.text.describe()}"
        return f"{self.kind}={self.text.describe()}"


class EntryScope(Frozen):
    """Resolve this entry inside another one (e.g. a button inside the row of a given email)."""

    entry: str
    args: Mapping[str, str] = Field(default_factory=dict)


ColumnType = Literal["string", "int", "number"]


class Column(Frozen):
    """A column of a table entry read with `extract what: table`: found by its header (any
    wording the portal uses), its cells converted (a value set's labels to canonical values,
    numbers in the run's locale)."""

    key: str  # the row's key in the extracted value: `email`, `tier`
    header: TextMatch
    shows: str | None = None  # a value set: the cell's label becomes the canonical value
    as_type: ColumnType = "string"
    source: SourceSpan = UNKNOWN_SOURCE


class CatalogueEntry(Frozen):
    name: str  # fully qualified, "page.key"
    page: str
    description: str = ""
    args: tuple[str, ...] = ()
    within: EntryScope | None = None
    # The entry lives in the document of this <iframe> entry (across origins, nested frames too).
    # Ignored when `within` is given: the scope's own frame applies.
    frame: EntryScope | None = None
    candidates: tuple[Candidate, ...]
    # `runbook selectors check` fails on a missing required entry; optional ones only warn.
    required: bool = True
    # Values for `args` used by `selectors check` (entries with args are checked with these).
    example_args: Mapping[str, str] = Field(default_factory=dict)
    # Only present after an interaction (a dialog's button): `selectors check` skips it with a reason.
    check: bool = True
    # The element's text is a label of this value set (`tier`): read as the canonical value,
    # compared with any of the value's labels.
    shows: str | None = None
    # A <select> whose options are labels of this value set: `select` picks the option by value.
    options: str | None = None
    columns: tuple[Column, ...] = ()  # a table: its columns, for `extract what: table`
    source: SourceSpan = UNKNOWN_SOURCE


class ValueSet(Frozen):
    """Canonical values (what runbooks and CSVs say: `Eco`) and the labels the portal shows for
    each (`Eco`, `Éco`): the portal's wording, kept out of runbooks. The canonical value "" stands
    for "none" ("No license"). An entry arg named like the set takes its labels in candidates."""

    name: str
    labels: Mapping[str, tuple[str, ...]]
    description: str = ""
    source: SourceSpan = UNKNOWN_SOURCE

    def labels_of(self, value: str) -> tuple[str, ...]:
        return self.labels.get(value, ())

    def value_of(self, label: str) -> str | None:
        """The canonical value a label stands for (whitespace and case aside), or None."""
        wanted = normalize_label(label)
        for value, labels in self.labels.items():
            if any(normalize_label(candidate) == wanted for candidate in labels):
                return value
        return None


def normalize_label(text: str) -> str:
    """Labels compare without case, whitespace runs (no-break spaces included) or the apostrophe's shape."""
    return " ".join(text.replace("\u2019", "'").split()).casefold()


class Text(Frozen):
    """A portal message or line format a runbook checks ("Payment accepted: 1 Eco license"), in
    every wording the portal uses. `{arg}` placeholders are filled by the runbook; an arg named
    like a value set matches any of the value's labels."""

    name: str  # "page.key"
    page: str
    args: tuple[str, ...] = ()
    # An arg whose name is not its value set's (`from_tier` takes tier labels): arg -> value set.
    arg_values: Mapping[str, str] = Field(default_factory=dict)
    variants: tuple[str, ...]
    description: str = ""
    source: SourceSpan = UNKNOWN_SOURCE


class CataloguePage(Frozen):
    name: str
    # Where `selectors check` goes to see the page's entries; several when portals differ
    # (`/licenses`, `/Licences.aspx`): the first that answers is used.
    paths: tuple[str, ...] = ()
    description: str = ""
    source: SourceSpan = UNKNOWN_SOURCE

    @property
    def path(self) -> str | None:
        return self.paths[0] if self.paths else None


class Signature(Frozen):
    """How to recognise a page: the URL matches `url_matches` (a Python regex, searched in the
    whole URL) and, when given, `entry` is visible. At least one of the two is given."""

    url_matches: str | None = None
    entry: str | None = None
    source: SourceSpan = UNKNOWN_SOURCE

    def describe(self) -> str:
        parts = [f"url matches {self.url_matches!r}"] if self.url_matches else []
        if self.entry:
            parts.append(f"{self.entry} visible")
        return " and ".join(parts)


class PortalFacts(Frozen):
    """Portal-wide behaviour (`selectors/portal.yaml`): what the engine must know of the portal
    without naming it in code."""

    # Where the portal sends a session that expired (checked after every step): the run stops
    # with "session expired" instead of failing on the login page.
    logged_out: Signature | None = None
    # The sign-in page itself: a bulk worker never visits it, so landing there means its session
    # is gone even when the portal dropped the "expired" hint.
    login_page: Signature | None = None
    # The locale numbers are written in (`extract as: number`, `number` assertions) unless a step
    # or the run says otherwise; "page" reads the page's <html lang>.
    locale: str | None = None
    values: Mapping[str, ValueSet] = Field(default_factory=dict)
    source: SourceSpan = UNKNOWN_SOURCE


class Catalogue(Frozen):
    pages: Mapping[str, CataloguePage]
    entries: Mapping[str, CatalogueEntry]
    portal: PortalFacts = PortalFacts()
    texts: Mapping[str, Text] = Field(default_factory=dict)

    @property
    def values(self) -> Mapping[str, ValueSet]:
        return self.portal.values
