"""The selector catalogue: logical names -> ordered candidate locators.

Candidates are tried in order; the first that matches exactly one element wins and the run
records its index, so drift shows up as "matched fallback 2 of 3" instead of a silent pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import Field

from executor.model.base import UNKNOWN_SOURCE, Frozen, SourceSpan

CandidateKind = Literal["role", "label", "text", "placeholder", "alt", "title", "test_id", "css"]


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
        return f"{self.kind}={self.text.describe()}"


class EntryScope(Frozen):
    """Resolve this entry inside another one (e.g. a button inside the row of a given email)."""

    entry: str
    args: Mapping[str, str] = Field(default_factory=dict)


class CatalogueEntry(Frozen):
    name: str  # fully qualified, "page.key"
    page: str
    description: str = ""
    args: tuple[str, ...] = ()
    within: EntryScope | None = None
    candidates: tuple[Candidate, ...]
    # `runbook selectors check` fails on a missing required entry; optional ones only warn.
    required: bool = True
    # Values for `args` used by `selectors check` (entries with args are checked with these).
    example_args: Mapping[str, str] = Field(default_factory=dict)
    # Only present after an interaction (a dialog's button): `selectors check` skips it with a reason.
    check: bool = True
    source: SourceSpan = UNKNOWN_SOURCE


class CataloguePage(Frozen):
    name: str
    path: str | None = None  # where `selectors check` goes to see the page's entries
    description: str = ""
    source: SourceSpan = UNKNOWN_SOURCE


class Catalogue(Frozen):
    pages: Mapping[str, CataloguePage]
    entries: Mapping[str, CatalogueEntry]
