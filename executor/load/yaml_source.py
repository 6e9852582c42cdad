"""Safe YAML parsing that keeps the position of every node.

Mappings and sequences come back as `YamlMap` / `YamlSeq` (plain dict / list subclasses) that also
know where they, their keys and their values start. Scalars stay plain Python values (bools and
ints cannot carry attributes); their position is read from the container that holds them.

PyYAML silently keeps the last of two equal keys; here a duplicate key is a diagnostic.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from executor.load.diagnostics import Diagnostic
from executor.model.base import SourceSpan


class Mark(NamedTuple):
    """A 1-based line and column."""

    line: int
    col: int


NO_MARK = Mark(0, 0)


class YamlMap(dict[Any, Any]):
    """A mapping that knows where it starts and where each of its keys and values start."""

    __slots__ = ("key_marks", "mark", "value_marks")

    def __init__(self, mark: Mark = NO_MARK) -> None:
        super().__init__()
        self.mark = mark
        self.key_marks: dict[Any, Mark] = {}
        self.value_marks: dict[Any, Mark] = {}

    def key_mark(self, key: Any) -> Mark:
        return self.key_marks.get(key, self.mark)

    def value_mark(self, key: Any) -> Mark:
        return self.value_marks.get(key, self.mark)


class YamlSeq(list[Any]):
    """A sequence that knows where it and each of its items start."""

    __slots__ = ("item_marks", "mark")

    def __init__(self, mark: Mark = NO_MARK) -> None:
        super().__init__()
        self.mark = mark
        self.item_marks: list[Mark] = []

    def item_mark(self, index: int) -> Mark:
        return self.item_marks[index] if 0 <= index < len(self.item_marks) else self.mark

    def marked_items(self) -> Iterator[tuple[Any, Mark]]:
        return zip(self, self.item_marks, strict=True)


@dataclass
class SourceFile:
    """A YAML file's text, for diagnostics that quote the offending line."""

    path: str
    lines: list[str]

    def line_text(self, line: int) -> str | None:
        return self.lines[line - 1] if 0 < line <= len(self.lines) else None

    def span(self, mark: Mark) -> SourceSpan:
        return SourceSpan(file=self.path, line=mark.line, col=mark.col)

    def diagnostic(
        self, mark: Mark, message: str, hint: str | None = None, *, warning: bool = False
    ) -> Diagnostic:
        return Diagnostic(
            file=self.path,
            line=mark.line,
            col=mark.col,
            message=message,
            hint=hint,
            severity="warning" if warning else "error",
            source_line=self.line_text(mark.line),
        )


@dataclass
class YamlDocument:
    source: SourceFile
    data: Any  # YamlMap / YamlSeq / scalar / None (empty file)
    problems: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(p.is_error for p in self.problems)


def _mark(node: Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


# libyaml parses ~10x faster than the pure-Python scanner ("validate all runbooks" is timed); the
# construction below is ours either way, so both bases behave the same.
_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_MERGE_TAG = "tag:yaml.org,2002:merge"


class MarkedLoader(_Base):  # type: ignore[valid-type,misc]  # the base is chosen at import
    """SafeLoader that builds YamlMap / YamlSeq and reports duplicate keys instead of hiding them."""

    source: SourceFile
    problems: list[Diagnostic]

    def construct_marked_map(self, node: MappingNode) -> YamlMap:
        data = YamlMap(_mark(node))
        seen: dict[Any, Mark] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:
                continue  # keys merged in with `<<` may be overridden: that is the point of merging
            key = self.construct_object(key_node, deep=True)
            mark = _mark(key_node)
            try:
                first = seen.get(key)
            except TypeError:
                continue  # unhashable key: reported below
            if first is not None:
                self.problems.append(
                    self.source.diagnostic(
                        mark,
                        f"duplicate key {key!r} (first at line {first.line})",
                        "YAML keeps only the last one; remove or rename one of them",
                    )
                )
            seen[key] = mark
        self.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                self.problems.append(
                    self.source.diagnostic(_mark(key_node), "a mapping key must be a plain value")
                )
                continue
            data[key] = self.construct_object(value_node, deep=True)
            data.key_marks[key] = _mark(key_node)
            data.value_marks[key] = _mark(value_node)
        return data

    def construct_marked_seq(self, node: SequenceNode) -> YamlSeq:
        data = YamlSeq(_mark(node))
        for item in node.value:
            data.append(self.construct_object(item, deep=True))
            data.item_marks.append(_mark(item))
        return data


MarkedLoader.add_constructor("tag:yaml.org,2002:map", MarkedLoader.construct_marked_map)
MarkedLoader.add_constructor("tag:yaml.org,2002:seq", MarkedLoader.construct_marked_seq)


def _syntax_problem(source: SourceFile, err: yaml.YAMLError) -> Diagnostic:
    if isinstance(err, yaml.MarkedYAMLError) and err.problem_mark is not None:
        mark = Mark(err.problem_mark.line + 1, err.problem_mark.column + 1)
        problem = err.problem or "invalid YAML"
        hint = None
        text = source.line_text(mark.line) or ""
        if "\t" in text[: mark.col]:
            hint = "YAML indents with spaces, not tabs"
        elif "mapping values are not allowed" in problem:
            hint = "check this line's indentation, or quote a value that contains ': '"
        elif err.context and err.context_mark is not None:
            hint = f"{err.context} at line {err.context_mark.line + 1}"
        return source.diagnostic(mark, f"invalid YAML: {problem}", hint)
    return source.diagnostic(Mark(1, 1), f"invalid YAML: {err}")


def parse_yaml(text: str, path: str) -> YamlDocument:
    """Parse one YAML document; syntax errors and duplicate keys become diagnostics, never exceptions."""
    source = SourceFile(path=path, lines=text.splitlines())
    loader = MarkedLoader(text)
    loader.source = source
    loader.problems = []
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as err:
        return YamlDocument(source, None, [*loader.problems, _syntax_problem(source, err)])
    finally:
        loader.dispose()
    return YamlDocument(source, data, loader.problems)


def read_yaml(path: str | Path) -> YamlDocument:
    """Read and parse a file; an unreadable file is a diagnostic too."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        source = SourceFile(path=name, lines=[])
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        return YamlDocument(source, None, [source.diagnostic(NO_MARK, f"cannot read file: {reason}")])
    return parse_yaml(text, name)
