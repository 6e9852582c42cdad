"""`selectors/*.yaml` -> Catalogue, with the same diagnostics as runbooks.

Checks: unknown keys, one locator kind per candidate, JS-style regexes that compile, `{arg}`
placeholders declared in `args`, `within` naming a known entry with the right args and no cycle,
and an entry defined twice (across files too).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from executor.load.diagnostics import Diagnostic, LoadError, sort_diagnostics
from executor.load.fields import Checker
from executor.load.suggest import did_you_mean, quoted_list
from executor.load.yaml_source import Mark, SourceFile, YamlMap, YamlSeq, read_yaml
from executor.model.catalogue import (
    Candidate,
    Catalogue,
    CatalogueEntry,
    CataloguePage,
    Column,
    EntryScope,
    PortalFacts,
    Signature,
    Text,
    TextMatch,
    ValueSet,
)
from executor.numbers import LocaleError, check_locale

PAGE_KEYS = ("page", "path", "description", "frame", "entries", "texts")
PORTAL_KEYS = ("portal",)
PORTAL_FACT_KEYS = ("description", "logged_out", "login_page", "locale", "values")
TEXT_KEYS = ("description", "args", "variants")
COLUMN_KEYS = ("header", "shows", "as")
COLUMN_TYPES = ("string", "int", "number")
SIGNATURE_KEYS = ("description", "url_matches", "entry")
ENTRY_KEYS = (
    "description",
    "args",
    "example_args",
    "within",
    "frame",
    "candidates",
    "check",
    "required",
    "shows",
    "options",
    "columns",
)
KINDS = ("role", "label", "text", "placeholder", "alt", "title", "test_id", "cell", "css")
CANDIDATE_KEYS = (*KINDS, "name", "exact", "has_text", "level")

# WAI-ARIA roles Playwright's get_by_role accepts: a typo ("buton") is caught here, not at run time.
ARIA_ROLES = frozenset(
    [
        "alert",
        "alertdialog",
        "application",
        "article",
        "banner",
        "blockquote",
        "button",
        "caption",
        "cell",
        "checkbox",
        "code",
        "columnheader",
        "combobox",
        "complementary",
        "contentinfo",
        "definition",
        "deletion",
        "dialog",
        "directory",
        "document",
        "emphasis",
        "feed",
        "figure",
        "form",
        "generic",
        "grid",
        "gridcell",
        "group",
        "heading",
        "img",
        "insertion",
        "link",
        "list",
        "listbox",
        "listitem",
        "log",
        "main",
        "marquee",
        "math",
        "meter",
        "menu",
        "menubar",
        "menuitem",
        "menuitemcheckbox",
        "menuitemradio",
        "navigation",
        "none",
        "note",
        "option",
        "paragraph",
        "presentation",
        "progressbar",
        "radio",
        "radiogroup",
        "region",
        "row",
        "rowgroup",
        "rowheader",
        "scrollbar",
        "search",
        "searchbox",
        "separator",
        "slider",
        "spinbutton",
        "status",
        "strong",
        "subscript",
        "superscript",
        "switch",
        "tab",
        "table",
        "tablist",
        "tabpanel",
        "term",
        "textbox",
        "time",
        "timer",
        "toolbar",
        "tooltip",
        "tree",
        "treegrid",
        "treeitem",
    ]
)

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_JS_REGEX = re.compile(r"^/(?P<body>.+)/(?P<flags>[A-Za-z]*)$", re.DOTALL)


@dataclass
class _Pending:
    """An entry whose `within` (or `frame`) is checked once every file is read."""

    entry: CatalogueEntry
    checker: Checker
    within_mark: Mark
    frame_mark: Mark | None = None


def catalogue_files(dir_or_files: str | Path | Iterable[str | Path]) -> list[Path]:
    if isinstance(dir_or_files, (str, Path)):
        root = Path(dir_or_files)
        if root.is_dir():
            return sorted([*root.glob("*.yaml"), *root.glob("*.yml")])
        return [root]
    return [Path(p) for p in dir_or_files]


def parse_text_match(
    c: Checker, value: Any, mark: Mark, what: str, *, exact: bool = False, args: tuple[str, ...] = ()
) -> TextMatch | None:
    text = c.string_value(value, mark, what, allow_numbers=True)
    if text is None:
        return None
    match = _JS_REGEX.match(text)
    if match is None:
        return TextMatch(value=text, exact=exact)
    flags = match["flags"]
    if set(flags) - {"i"}:
        c.error(
            mark,
            f"unsupported regex flag(s) '{flags}' in {what}",
            "only the i flag (ignore case) is supported",
        )
        return None
    body = match["body"]
    # `{tier}` is filled (regex-escaped) at run time: check the regex with a stand-in value.
    try:
        re.compile(PLACEHOLDER.sub(lambda m: "x" if m[1] in args else m[0], body))
    except re.error as err:
        c.error(
            mark,
            f"invalid regex in {what}: {err.msg}",
            f"the regex is /{body}/ (JavaScript-style, between slashes)",
        )
        return None
    return TextMatch(value=body, regex=True, ignore_case="i" in flags, exact=exact)


class _FileReader:
    """Reads one catalogue file into pages and entries."""

    def __init__(self, source: SourceFile) -> None:
        self.c = Checker(source)
        self.broken: set[str] = set()  # entries left out for their errors
        self.portal: PortalFacts | None = None  # read from a `portal:` file
        self.signature_entries: list[tuple[str, Mark]] = []  # checked once every file is read
        self.page_frame: EntryScope | None = None
        self.page_frame_mark: Mark | None = None
        self.texts: list[Text] = []
        # (value set name, where it is named): checked once the portal file is read
        self.value_refs: list[tuple[str, Mark]] = []

    def read(self, data: Any) -> tuple[CataloguePage | None, list[tuple[CatalogueEntry, Mark | None, Mark | None]]]:
        c = self.c
        top = c.mapping(data, Mark(1, 1), "a selector file")
        if top is None:
            return None, []
        if "portal" in top:
            self.portal = self.portal_facts(top)
            return None, []
        c.keys(top, PAGE_KEYS, "the selector file", required=("page", "entries"))
        page_name = c.identifier(top["page"], top.value_mark("page"), "page") if "page" in top else None
        paths = self.paths(top)
        page = None
        if page_name is not None:
            page = CataloguePage(
                name=page_name,
                paths=paths,
                description=c.string(top, "description", "the selector file") or "",
                source=c.span(top.mark),
            )
            self.page_frame = self.frame(top, page_name, (), "the selector file")
            self.page_frame_mark = top.value_mark("frame") if "frame" in top else None
        entries: list[tuple[CatalogueEntry, Mark | None, Mark | None]] = []
        if page_name is not None and "texts" in top:
            self.read_texts(page_name, top)
        raw_entries = (
            c.mapping(top.get("entries"), top.value_mark("entries"), "entries") if "entries" in top else None
        )
        if raw_entries is None or page_name is None:
            return page, entries
        for key, raw in raw_entries.items():
            key_mark = raw_entries.key_mark(key)
            if c.identifier(key, key_mark, "entry name") is None:
                continue
            entry = self.entry(page_name, key, raw, raw_entries.value_mark(key), key_mark)
            if entry is None:
                self.broken.add(f"{page_name}.{key}")
            else:
                within_mark = (
                    raw.value_mark("within") if isinstance(raw, YamlMap) and "within" in raw else None
                )
                frame_mark = (
                    raw.value_mark("frame")
                    if isinstance(raw, YamlMap) and "frame" in raw
                    else (self.page_frame_mark if entry.frame is not None else None)
                )
                entries.append((entry, within_mark, frame_mark))
        return page, entries

    def read_texts(self, page: str, top: YamlMap) -> None:
        """`texts: {name: {args, variants, description}}` or `name: "one wording"`."""
        c = self.c
        m = c.mapping(top["texts"], top.value_mark("texts"), "texts")
        for key, raw in (m or {}).items():
            assert m is not None
            key_mark = m.key_mark(key)
            if c.identifier(key, key_mark, "text name") is None:
                continue
            what = f"text '{page}.{key}'"
            if isinstance(raw, str):
                raw_map: YamlMap | None = None
                variants_raw: Any = [raw]
                variants_mark = m.value_mark(key)
            else:
                raw_map = c.mapping(raw, m.value_mark(key), what)
                if raw_map is None or not c.keys(raw_map, TEXT_KEYS, what, required=("variants",)):
                    continue
                variants_raw, variants_mark = raw_map["variants"], raw_map.value_mark("variants")
            args, arg_values = self.text_args(raw_map, what) if raw_map is not None else ((), {})
            items = list(variants_raw.marked_items()) if isinstance(variants_raw, YamlSeq) else [(variants_raw, variants_mark)]
            variants: list[str] = []
            for value, vmark in items:
                text = c.string_value(value, vmark, f"a variant of {what}", allow_numbers=True)
                if text is None:
                    continue
                for name in PLACEHOLDER.findall(text):
                    if name not in args:
                        c.error(vmark, f"placeholder '{{{name}}}' is not an arg of {what}",
                                did_you_mean(name, args) or f"declare it: args: [{name}]")
                variants.append(text)
            if not variants:
                c.error(variants_mark, f"{what} has no variants", "list the wordings the portal uses")
                continue
            self.texts.append(
                Text(
                    name=f"{page}.{key}",
                    page=page,
                    args=args,
                    arg_values=arg_values,
                    variants=tuple(variants),
                    description=(c.string(raw_map, "description", what) or "") if raw_map is not None else "",
                    source=c.span(key_mark),
                )
            )

    def text_args(self, m: YamlMap, what: str) -> tuple[tuple[str, ...], dict[str, str]]:
        """`args: [qty, tier, {to_tier: tier}]`: names, and the value set of an arg not named after it."""
        c = self.c
        if "args" not in m:
            return (), {}
        seq = c.sequence(m["args"], m.value_mark("args"), f"'args' of {what}")
        names: list[str] = []
        sets: dict[str, str] = {}
        for value, mark in (seq.marked_items() if seq is not None else []):
            if isinstance(value, YamlMap):
                if len(value) != 1:
                    c.error(mark, "an arg with a value set is one `name: set` pair", "e.g. {to_tier: tier}")
                    continue
                (name, set_name), = value.items()
                if c.identifier(name, value.key_mark(name), "arg") is None:
                    continue
                names.append(str(name))
                sets[str(name)] = str(set_name)
                self.value_refs.append((str(set_name), value.value_mark(name)))
                continue
            name = c.identifier(value, mark, "arg")
            if name is not None:
                names.append(name)
        return tuple(names), sets

    def value_sets(self, m: YamlMap) -> dict[str, ValueSet]:
        """`values: {tier: {Eco: [Eco, Éco], ..., "": [No license]}}`."""
        c = self.c
        raw = c.mapping(m["values"], m.value_mark("values"), "'values'")
        found: dict[str, ValueSet] = {}
        for name, body in (raw or {}).items():
            assert raw is not None
            if c.identifier(name, raw.key_mark(name), "value set") is None:
                continue
            what = f"value set '{name}'"
            labels_map = c.mapping(body, raw.value_mark(name), what)
            if labels_map is None:
                continue
            labels: dict[str, tuple[str, ...]] = {}
            description = ""
            seen: dict[str, str] = {}
            for value, raw_labels in labels_map.items():
                if value == "description":
                    description = c.string(labels_map, "description", what) or ""
                    continue
                vmark = labels_map.value_mark(value)
                items = list(raw_labels.marked_items()) if isinstance(raw_labels, YamlSeq) else [(raw_labels, vmark)]
                texts = [c.string_value(v, im, f"a label of {name} {value!r}", allow_numbers=True) for v, im in items]
                clean = tuple(t for t in texts if t)
                if not clean:
                    c.error(vmark, f"{what}: value {value!r} has no label", "list how the portal shows it")
                    continue
                for label in clean:
                    key = " ".join(label.split()).casefold()
                    if key in seen and seen[key] != str(value):
                        c.error(vmark, f"{what}: the label {label!r} stands for both {seen[key]!r} and {value!r}",
                                "a label must name one value, or reading it back is a guess")
                    seen[key] = str(value)
                labels[str(value)] = clean
            found[str(name)] = ValueSet(name=str(name), labels=labels, description=description,
                                        source=c.span(raw.key_mark(name)))
        return found

    def value_ref(self, m: YamlMap, key: str, what: str) -> str | None:
        name = self.c.string(m, key, what)
        if name is not None:
            self.value_refs.append((name, m.value_mark(key)))
        return name

    def columns(self, m: YamlMap, args: tuple[str, ...], what: str) -> tuple[Column, ...]:
        """`columns: {email: {header: [Email, Courriel]}, tier: {header: /^Licen[cs]e$/i, shows: tier}}`."""
        c = self.c
        raw = c.mapping(m["columns"], m.value_mark("columns"), f"'columns' of {what}")
        out: list[Column] = []
        for key, body in (raw or {}).items():
            assert raw is not None
            if c.identifier(key, raw.key_mark(key), "column") is None:
                continue
            cw = f"column '{key}' of {what}"
            if isinstance(body, (str, YamlSeq)):
                body_map = YamlMap(raw.value_mark(key))
                header_raw, header_mark = body, raw.value_mark(key)
            else:
                body_map = c.mapping(body, raw.value_mark(key), cw)
                if body_map is None or not c.keys(body_map, COLUMN_KEYS, cw, required=("header",)):
                    continue
                header_raw, header_mark = body_map["header"], body_map.value_mark("header")
            header = self.header(header_raw, header_mark, cw)
            if header is None:
                continue
            as_type = c.choice(body_map, "as", COLUMN_TYPES, cw) or "string" if "as" in body_map else "string"
            shows = self.value_ref(body_map, "shows", cw) if "shows" in body_map else None
            out.append(Column(key=str(key), header=header, shows=shows, as_type=as_type, source=c.span(raw.key_mark(key))))
        return tuple(out)

    def header(self, raw: Any, mark: Mark, what: str) -> TextMatch | None:
        """A header: one wording, a list of wordings (any of them, whole), or a /regex/."""
        if isinstance(raw, YamlSeq):
            names = [self.c.string_value(v, vm, f"a header of {what}") for v, vm in raw.marked_items()]
            clean = [n for n in names if n]
            if not clean:
                self.c.error(mark, f"{what} names no header")
                return None
            body = "|".join(re.escape(" ".join(n.split())) for n in clean)
            return TextMatch(value=f"^(?:{body})$", regex=True, ignore_case=True)
        return parse_text_match(self.c, raw, mark, f"the header of {what}")

    def paths(self, top: YamlMap) -> tuple[str, ...]:
        """`path: /licenses` or `path: [/licenses, /Licences.aspx]`."""
        c = self.c
        if "path" not in top or top["path"] is None:
            return ()
        raw, mark = top["path"], top.value_mark("path")
        items = list(raw.marked_items()) if isinstance(raw, YamlSeq) else [(raw, mark)]
        out: list[str] = []
        for value, item_mark in items:
            path = c.string_value(value, item_mark, "path")
            if path is None:
                continue
            if not path.startswith("/"):
                c.error(item_mark, f"path '{path}' must start with /", "a path on the portal, e.g. /licenses")
                continue
            out.append(path)
        return tuple(out)

    def frame(self, m: YamlMap, page: str, args: tuple[str, ...], what: str) -> EntryScope | None:
        """`frame: {entry: checkout.card_frame}` or `frame: checkout.card_frame`: the <iframe>
        whose document holds the entry (or, at the top of a file, every entry of the page)."""
        if "frame" not in m:
            return None
        raw, mark = m["frame"], m.value_mark("frame")
        if isinstance(raw, str):
            return EntryScope(entry=_qualify(raw, page))
        f = self.c.mapping(raw, mark, f"'frame' of {what}")
        if f is None:
            return None
        self.c.keys(f, ("entry", "args"), f"'frame' of {what}", required=("entry",))
        entry = self.c.string(f, "entry", f"'frame' of {what}")
        frame_args: dict[str, str] = {}
        if "args" in f:
            fa = self.c.mapping(f["args"], f.value_mark("args"), f"'frame' args of {what}")
            for key, value in (fa or {}).items():
                assert fa is not None
                text = self.c.string_value(value, fa.value_mark(key), f"frame arg '{key}'", allow_numbers=True)
                if text is not None:
                    self.placeholders(text, fa.value_mark(key), args, what)
                    frame_args[str(key)] = text
        return EntryScope(entry=_qualify(entry, page), args=frame_args) if entry else None

    def portal_facts(self, top: YamlMap) -> PortalFacts | None:
        c = self.c
        c.keys(top, PORTAL_KEYS, "the portal file", required=("portal",))
        m = c.mapping(top["portal"], top.value_mark("portal"), "'portal'")
        if m is None:
            return None
        c.keys(m, PORTAL_FACT_KEYS, "'portal'")
        locale = c.string(m, "locale", "'portal'")
        if locale is not None and locale != "page":
            try:
                check_locale(locale)
            except LocaleError as err:
                c.error(m.value_mark("locale"), str(err), err.hint)
                locale = None
        return PortalFacts(
            logged_out=self.signature(m, "logged_out"),
            login_page=self.signature(m, "login_page"),
            locale=locale,
            values=self.value_sets(m) if "values" in m else {},
            source=c.span(m.mark),
        )

    def signature(self, m: YamlMap, key: str) -> Signature | None:
        c = self.c
        if key not in m:
            return None
        s = c.mapping(m[key], m.value_mark(key), f"'{key}'")
        if s is None or not c.keys(s, SIGNATURE_KEYS, f"'{key}'"):
            return None
        url = c.string(s, "url_matches", f"'{key}'")
        if url is not None:
            try:
                re.compile(url)
            except re.error as err:
                c.error(s.value_mark("url_matches"), f"invalid regex in url_matches: {err.msg}")
                url = None
        entry = c.string(s, "entry", f"'{key}'")
        if url is None and entry is None:
            c.error(s.mark, f"'{key}' needs url_matches, entry or both", "e.g. url_matches: '/login\\?expired=1'")
            return None
        sig = Signature(url_matches=url, entry=entry, source=c.span(s.mark))
        if entry is not None:
            self.signature_entries.append((entry, s.value_mark("entry")))
        return sig

    def entry(self, page: str, key: str, raw: Any, mark: Mark, key_mark: Mark) -> CatalogueEntry | None:
        c = self.c
        name = f"{page}.{key}"
        what = f"entry '{name}'"
        m = c.mapping(raw, mark, what)
        if m is None:
            return None
        errors_before = len(c.diagnostics)
        c.keys(m, ENTRY_KEYS, what, required=("candidates",))
        args = self.args(m, what)
        example_args = self.example_args(m, args, what)
        within = self.within(m, page, args, what)
        frame = self.frame(m, page, args, what) if "frame" in m else self.page_frame
        candidates = self.candidates(m, args, what)
        if within is None and any(cand.kind == "cell" for cand in candidates):
            c.error(
                m.key_mark("candidates"),
                f"a cell candidate of {what} needs the row it is in",
                "add within: {entry: <page>.<row entry>, args: {...}}",
            )
        self.unused_args(m, args, candidates, within, what)
        entry_failed = any(d.is_error for d in c.diagnostics[errors_before:])
        check = c.boolean(m, "check", what, default=True)
        required = c.boolean(m, "required", what, default=True)
        if check and args and not example_args and "args" in m:
            c.warning(
                m.key_mark("args"),
                f"{what} takes args but has no example_args",
                "`runbook selectors check` needs example_args to look for it (or set check: false)",
            )
        shows = self.value_ref(m, "shows", what) if "shows" in m else None
        options = self.value_ref(m, "options", what) if "options" in m else None
        columns = self.columns(m, args, what) if "columns" in m else ()
        entry_failed = any(d.is_error for d in c.diagnostics[errors_before:])
        if entry_failed or not candidates:
            return None
        return CatalogueEntry(
            name=name,
            page=page,
            description=c.string(m, "description", what) or "",
            args=args,
            within=within,
            frame=frame,
            candidates=tuple(candidates),
            required=required,
            example_args=example_args,
            check=check,
            shows=shows,
            options=options,
            columns=columns,
            source=c.span(key_mark),
        )

    def args(self, m: YamlMap, what: str) -> tuple[str, ...]:
        if "args" not in m:
            return ()
        seq = self.c.sequence(m["args"], m.value_mark("args"), f"'args' of {what}")
        if seq is None:
            return ()
        names: list[str] = []
        for value, mark in seq.marked_items():
            name = self.c.identifier(value, mark, "arg")
            if name is not None:
                names.append(name)
        return tuple(names)

    def example_args(self, m: YamlMap, args: tuple[str, ...], what: str) -> dict[str, str]:
        if "example_args" not in m:
            return {}
        ex = self.c.mapping(m["example_args"], m.value_mark("example_args"), f"'example_args' of {what}")
        if ex is None:
            return {}
        out: dict[str, str] = {}
        for key, value in ex.items():
            if key not in args:
                self.c.error(
                    ex.key_mark(key),
                    f"example arg '{key}' is not an arg of {what}",
                    _args_hint(str(key), args),
                )
                continue
            text = self.c.string_value(value, ex.value_mark(key), f"example arg '{key}'", allow_numbers=True)
            if text is not None:
                out[key] = text
        missing = [a for a in args if a not in ex]
        if missing:
            self.c.error(ex.mark, f"example_args of {what} misses {quoted_list(missing, 'and')}")
        return out

    def within(self, m: YamlMap, page: str, args: tuple[str, ...], what: str) -> EntryScope | None:
        if "within" not in m:
            return None
        raw, mark = m["within"], m.value_mark("within")
        if isinstance(raw, str):
            return EntryScope(entry=_qualify(raw, page))
        w = self.c.mapping(raw, mark, f"'within' of {what}")
        if w is None:
            return None
        self.c.keys(w, ("entry", "args"), f"'within' of {what}", required=("entry",))
        entry = self.c.string(w, "entry", f"'within' of {what}")
        scope_args: dict[str, str] = {}
        if "args" in w:
            wa = self.c.mapping(w["args"], w.value_mark("args"), f"'within' args of {what}")
            for key, value in (wa or {}).items():
                assert wa is not None
                text = self.c.string_value(
                    value, wa.value_mark(key), f"within arg '{key}'", allow_numbers=True
                )
                if text is None:
                    continue
                self.placeholders(text, wa.value_mark(key), args, what)
                scope_args[str(key)] = text
        return EntryScope(entry=_qualify(entry, page), args=scope_args) if entry else None

    def candidates(self, m: YamlMap, args: tuple[str, ...], what: str) -> list[Candidate]:
        if "candidates" not in m:
            return []
        seq = self.c.sequence(m["candidates"], m.value_mark("candidates"), f"'candidates' of {what}")
        if seq is None:
            return []
        if not seq:
            self.c.error(seq.mark, f"{what} has no candidates", "list at least one way to find the element")
        out = []
        for raw, mark in seq.marked_items():
            cand = self.candidate(raw, mark, args, what)
            if cand is not None:
                out.append(cand)
        return out

    def candidate(self, raw: Any, mark: Mark, args: tuple[str, ...], what: str) -> Candidate | None:
        c = self.c
        m = c.mapping(raw, mark, f"a candidate of {what}")
        if m is None:
            return None
        if not c.keys(m, CANDIDATE_KEYS, f"a candidate of {what}"):
            return None
        kinds = [k for k in KINDS if k in m]
        if len(kinds) != 1:
            found = f"got {quoted_list(kinds, 'and')}" if kinds else "got none"
            c.error(
                mark, f"a candidate needs exactly one locator kind ({found})", f"one of: {', '.join(KINDS)}"
            )
            return None
        kind = kinds[0]
        exact = c.boolean(m, "exact", "a candidate")
        role_only = ("name", "level")
        for key in m:
            if key not in ("has_text", "exact", kind) and not (key in role_only and kind == "role"):
                c.error(
                    m.key_mark(key),
                    f"'{key}' does not go with a {kind} candidate",
                    f"`{key}` is only for role candidates",
                )
                return None
        has_text = None
        if "has_text" in m:
            has_text = parse_text_match(c, m["has_text"], m.value_mark("has_text"), "has_text", args=args)
            self.placeholders(m["has_text"], m.value_mark("has_text"), args, what)
        value, vmark = m[kind], m.value_mark(kind)
        self.placeholders(value, vmark, args, what)
        if kind == "role":
            role = c.string_value(value, vmark, "role")
            if role is None:
                return None
            if role not in ARIA_ROLES:
                c.error(vmark, f"unknown ARIA role '{role}'", did_you_mean(role, ARIA_ROLES))
                return None
            level = c.integer(m, "level", "a candidate", minimum=1)
            if level is not None and (role != "heading" or level > 6):
                c.error(m.value_mark("level"), "'level' is for headings, 1 to 6")
                return None
            name = None
            if "name" in m:
                self.placeholders(m["name"], m.value_mark("name"), args, what)
                name = parse_text_match(c, m["name"], m.value_mark("name"), "name", exact=exact, args=args)
                if name is None:
                    return None
            return Candidate(
                kind="role", role=role, name=name, level=level, has_text=has_text, source=c.span(mark)
            )
        if kind == "cell":
            column = m[kind]
            cm = c.mapping(column, vmark, "a cell candidate") if not isinstance(column, str) else None
            if cm is not None:
                if not c.keys(cm, ("column",), "a cell candidate", required=("column",)):
                    return None
                column, vmark = cm["column"], cm.value_mark("column")
            elif not isinstance(column, str):
                return None
            self.placeholders(column, vmark, args, what)
            text = parse_text_match(c, column, vmark, "cell column", exact=exact, args=args)
            if text is None:
                return None
            return Candidate(kind="cell", text=text, has_text=has_text, source=c.span(mark))
        if kind == "css":
            css = c.string_value(value, vmark, "css")
            return Candidate(kind="css", css=css, has_text=has_text, source=c.span(mark)) if css else None
        text = parse_text_match(c, value, vmark, kind, exact=exact, args=args)
        if text is None:
            return None
        return Candidate(kind=kind, text=text, has_text=has_text, source=c.span(mark))

    def placeholders(self, value: Any, mark: Mark, args: tuple[str, ...], what: str) -> None:
        if not isinstance(value, str):
            return
        for name in PLACEHOLDER.findall(value):
            if name not in args:
                hint = did_you_mean(name, args) or (
                    f"declare it: args: [{name}]" if not args else f"{what} takes {quoted_list(args, 'and')}"
                )
                self.c.error(mark, f"placeholder '{{{name}}}' is not an arg of {what}", hint)

    def unused_args(
        self,
        m: YamlMap,
        args: tuple[str, ...],
        candidates: list[Candidate],
        within: EntryScope | None,
        what: str,
    ) -> None:
        texts: list[str] = []
        for cand in candidates:
            texts += [t.value for t in (cand.name, cand.text, cand.has_text) if t is not None]
            texts += [cand.css] if cand.css else []
        texts += list(within.args.values()) if within else []
        frame = self.frame(m, "", args, what) if "frame" in m else None
        texts += list(frame.args.values()) if frame else []
        used = {name for t in texts for name in PLACEHOLDER.findall(t)}
        for name in args:
            if name not in used:
                self.c.warning(m.key_mark("args"), f"arg '{name}' of {what} is never used in its candidates")


def _near(file: str, seen_from: str) -> str:
    """`file` relative to the folder of `seen_from`: `licenses.yaml` for a neighbour, never a
    path that depends on the cwd."""
    return os.path.relpath(os.path.abspath(file), os.path.dirname(os.path.abspath(seen_from)))


def _qualify(name: str | None, page: str) -> str:
    """`row` inside page `licenses` means `licenses.row`."""
    if not name:
        return ""
    return name if "." in name else f"{page}.{name}"


def _args_hint(name: str, args: tuple[str, ...]) -> str:
    return did_you_mean(name, args) or (
        f"it takes {quoted_list(args, 'and')}" if args else "it takes no args"
    )


def _check_scope(
    checker: Checker, mark: Mark, key: str, scope: EntryScope, entries: dict[str, CatalogueEntry]
) -> CatalogueEntry | None:
    """The entry a `within` or `frame` names exists and gets exactly the args it takes."""
    target = entries.get(scope.entry)
    if target is None:
        checker.error(mark, f"'{key}' names unknown entry '{scope.entry}'", did_you_mean(scope.entry, entries))
        return None
    for arg in scope.args:
        if arg not in target.args:
            checker.error(
                mark, f"'{key}' gives arg '{arg}' that '{target.name}' does not take", _args_hint(arg, target.args)
            )
    missing = [a for a in target.args if a not in scope.args]
    if missing:
        checker.error(mark, f"'{key}' must give '{target.name}' its {quoted_list(missing, 'and')}")
    return target


def _outer(entry: CatalogueEntry) -> EntryScope | None:
    """What an entry is resolved inside: its `within`, else its frame."""
    return entry.within or entry.frame


def _cycle_kind(cycle: list[str], by_name: dict[str, _Pending]) -> str:
    frames = any(by_name[n].entry.within is None for n in cycle[:-1] if n in by_name)
    return "'within'/'frame'" if frames else "'within'"


def _check_within(pending: list[_Pending], entries: dict[str, CatalogueEntry]) -> None:
    for p in pending:
        if p.entry.within is not None:
            _check_scope(p.checker, p.within_mark, "within", p.entry.within, entries)
        if p.entry.frame is not None and p.frame_mark is not None and p.entry.within is None:
            _check_scope(p.checker, p.frame_mark, "frame", p.entry.frame, entries)
    # A `within` chain that comes back to itself would never resolve.
    by_name = {p.entry.name: p for p in pending}
    reported: set[str] = set()
    for start, pending_entry in by_name.items():
        path = [start]
        current = start
        while current in by_name and (nxt := _outer(by_name[current].entry)) is not None:
            current = nxt.entry
            if current in path:
                cycle = path[path.index(current) :] + [current]
                if not reported.intersection(cycle):
                    pending_entry.checker.error(
                        pending_entry.within_mark,
                        f"{_cycle_kind(cycle, by_name)} cycle: {' -> '.join(cycle)}",
                        "an entry cannot be inside itself",
                    )
                reported.update(cycle)
                break
            path.append(current)


@dataclass
class CatalogueReport:
    """The catalogue of every well-formed entry, every problem found, and what was left out."""

    catalogue: Catalogue
    diagnostics: list[Diagnostic]
    broken_entries: frozenset[str] = frozenset()
    broken_pages: frozenset[str] = frozenset()  # files that did not parse, named by file stem

    def is_broken(self, entry: str) -> bool:
        """Whether `entry` exists but was left out for its own errors (already reported: a runbook
        step using it should not add "unknown selector")."""
        return entry in self.broken_entries or entry.split(".", 1)[0] in self.broken_pages


def read_catalogue_report(dir_or_files: str | Path | Iterable[str | Path]) -> CatalogueReport:
    diagnostics: list[Diagnostic] = []
    pages: dict[str, CataloguePage] = {}
    entries: dict[str, CatalogueEntry] = {}
    pending: list[_Pending] = []
    checkers: list[Checker] = []
    broken: set[str] = set()
    broken_pages: set[str] = set()
    portal: PortalFacts | None = None
    signature_refs: list[tuple[Checker, str, Mark]] = []
    value_refs: list[tuple[Checker, str, Mark]] = []
    texts: dict[str, Text] = {}
    files = catalogue_files(dir_or_files)
    if isinstance(dir_or_files, (str, Path)) and not Path(dir_or_files).exists():
        diagnostics.append(
            Diagnostic(str(dir_or_files), 0, 0, "no such selector catalogue", "pass --selectors DIR")
        )
    for path in files:
        doc = read_yaml(path)
        diagnostics += doc.problems
        if not doc.ok:
            broken_pages.add(path.stem)
            continue
        reader = _FileReader(doc.source)
        checkers.append(reader.c)
        page, found = reader.read(doc.data)
        broken |= reader.broken
        if page is not None:
            pages.setdefault(page.name, page)
        for entry, within_mark, frame_mark in found:
            first = entries.get(entry.name)
            if first is not None:
                span = first.source
                where = f"{_near(span.file, entry.source.file)}:{span.line}:{span.col}"
                mark = Mark(entry.source.line, entry.source.col)
                reader.c.error(mark, f"duplicate entry '{entry.name}'", f"first defined at {where}")
                continue
            entries[entry.name] = entry
            if (entry.within is not None and within_mark is not None) or frame_mark is not None:
                pending.append(_Pending(entry, reader.c, within_mark or frame_mark or Mark(0, 0), frame_mark))
        if reader.portal is not None:
            if portal is not None:
                reader.c.error(Mark(1, 1), "a second portal file", f"the first is {portal.source.file}")
            portal = reader.portal
        signature_refs += [(reader.c, name, mark) for name, mark in reader.signature_entries]
        value_refs += [(reader.c, name, mark) for name, mark in reader.value_refs]
        for text in reader.texts:
            if text.name in entries or text.name in texts:
                reader.c.error(Mark(text.source.line, text.source.col), f"duplicate name '{text.name}'",
                               "texts and entries of a page share its names")
                continue
            texts[text.name] = text
    _check_within(pending, entries)
    known_sets = (portal or PortalFacts()).values
    for checker, name, mark in value_refs:
        if name not in known_sets:
            hint = did_you_mean(name, known_sets) or (
                f"value sets: {', '.join(known_sets)}" if known_sets else "declare it under portal: values: in selectors/portal.yaml"
            )
            checker.error(mark, f"unknown value set '{name}'", hint)
    for checker, name, mark in signature_refs:
        if name not in entries:
            checker.error(mark, f"unknown entry '{name}'", did_you_mean(name, entries))
    for checker in checkers:
        diagnostics += checker.diagnostics
    catalogue = Catalogue(pages=pages, entries=entries, portal=portal or PortalFacts(), texts=texts)
    return CatalogueReport(
        catalogue, sort_diagnostics(diagnostics), frozenset(broken), frozenset(broken_pages)
    )


def read_catalogue(dir_or_files: str | Path | Iterable[str | Path]) -> tuple[Catalogue, list[Diagnostic]]:
    """The catalogue of every well-formed entry, and every problem found (never raises).

    `validate` uses the partial catalogue so that one broken entry does not also flag every runbook
    step using another entry of the same file.
    """
    report = read_catalogue_report(dir_or_files)
    return report.catalogue, report.diagnostics


def load_catalogue(dir_or_files: str | Path | Iterable[str | Path]) -> Catalogue:
    """Load `selectors/*.yaml` (a folder, or a list of files); raise LoadError listing every problem."""
    catalogue, diagnostics = read_catalogue(dir_or_files)
    errors = [d for d in diagnostics if d.is_error]
    if errors:
        raise LoadError(errors)
    return catalogue
