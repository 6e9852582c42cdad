"""Marked YAML parsing and the diagnostic renderer."""

from __future__ import annotations

import os
from pathlib import Path

from executor.load.diagnostics import (
    Diagnostic,
    LoadError,
    dedupe,
    display_path,
    render_diagnostic,
    sort_diagnostics,
)
from executor.load.yaml_source import Mark, YamlMap, YamlSeq, parse_yaml, read_yaml
from executor.model.base import SourceSpan


def test_positions_of_keys_values_and_items_are_1_based() -> None:
    doc = parse_yaml("name: x\nsteps:\n  - click: licenses.checkout\n    name: Pay\n", "r.yaml")
    assert doc.ok
    top = doc.data
    assert isinstance(top, YamlMap)
    assert top.mark == Mark(1, 1)
    assert top.key_mark("steps") == Mark(2, 1)
    assert top.value_mark("name") == Mark(1, 7)
    steps = top["steps"]
    assert isinstance(steps, YamlSeq)
    assert steps.item_mark(0) == Mark(3, 5)
    assert steps[0].value_mark("click") == Mark(3, 12)
    assert steps[0] == {"click": "licenses.checkout", "name": "Pay"}  # still a plain dict to compare


def test_duplicate_keys_are_reported_not_silently_dropped() -> None:
    doc = parse_yaml("a: 1\nb: {c: 1, c: 2}\na: 3\n", "d.yaml")
    assert not doc.ok
    assert [(p.line, p.col, p.message) for p in sort_diagnostics(doc.problems)] == [
        (2, 11, "duplicate key 'c' (first at line 2)"),
        (3, 1, "duplicate key 'a' (first at line 1)"),
    ]


def test_merge_keys_may_be_overridden() -> None:
    doc = parse_yaml("base: &b {timeout: 1s, name: x}\nstep:\n  <<: *b\n  name: y\n", "m.yaml")
    assert doc.ok
    assert doc.data["step"] == {"timeout": "1s", "name": "y"}


def test_syntax_error_becomes_a_positioned_diagnostic() -> None:
    doc = parse_yaml("steps:\n  - click: a\n     name: b\n", "s.yaml")
    assert not doc.ok and doc.data is None
    (problem,) = doc.problems
    assert (problem.line, problem.col) == (3, 10)
    assert problem.message.startswith("invalid YAML: ")
    assert problem.source_line == "     name: b"


def test_tab_indentation_gets_a_hint() -> None:
    doc = parse_yaml("steps:\n\t- goto: /\n", "t.yaml")
    assert doc.problems[0].hint == "YAML indents with spaces, not tabs"


def test_unreadable_file(tmp_path: Path) -> None:
    doc = read_yaml(tmp_path / "missing.yaml")
    assert not doc.ok
    assert doc.problems[0].message.startswith("cannot read file")


def test_render_has_the_approved_shape() -> None:
    d = Diagnostic(
        file="runbooks/x.yaml",
        line=12,
        col=12,
        message="unknown selector 'licenses.avaliable_count'",
        hint="did you mean 'licenses.available_count'?",
        chain=(SourceSpan(file="runbooks/downgrade_license.yaml", line=8, col=5),),
        source_line="  - click: licenses.avaliable_count",
    )
    assert render_diagnostic(d) == (
        "runbooks/x.yaml:12:12: error: unknown selector 'licenses.avaliable_count'\n"
        "   12 |   - click: licenses.avaliable_count\n"
        "      |            ^\n"
        "  included from runbooks/downgrade_license.yaml:8:5\n"
        "  hint: did you mean 'licenses.available_count'?"
    )


def test_chain_is_rendered_nearest_include_first() -> None:
    outer = SourceSpan(file="a.yaml", line=1, col=1)
    inner = SourceSpan(file="b.yaml", line=2, col=2)
    d = Diagnostic("c.yaml", 3, 3, "boom", chain=(outer, inner))
    lines = render_diagnostic(d).splitlines()
    assert lines[1:] == ["  included from b.yaml:2:2", "  included from a.yaml:1:1"]


def test_paths_are_shown_relative_to_the_cwd() -> None:
    inside = os.path.join(os.getcwd(), "runbooks", "x.yaml")
    assert display_path(inside) == os.path.join("runbooks", "x.yaml")
    assert display_path("/elsewhere/x.yaml", base="/work/main") == "/elsewhere/x.yaml"
    assert display_path("relative/x.yaml") == "relative/x.yaml"


def test_diagnostic_without_position() -> None:
    assert render_diagnostic(Diagnostic("runbooks/gone.yaml", 0, 0, "no such file or folder")) == (
        "runbooks/gone.yaml: error: no such file or folder"
    )


def test_load_error_str_is_every_diagnostic() -> None:
    err = LoadError(
        [Diagnostic("a.yaml", 1, 1, "one"), Diagnostic("a.yaml", 2, 1, "two", severity="warning")]
    )
    assert str(err) == "a.yaml:1:1: error: one\n\na.yaml:2:1: warning: two"


def test_dedupe_keeps_the_shortest_chain() -> None:
    via = SourceSpan(file="top.yaml", line=3, col=5)
    direct = Diagnostic("_shared/login.yaml", 4, 3, "unknown selector 'x'")
    assert dedupe([direct.reached_through(via), direct]) == [direct]
