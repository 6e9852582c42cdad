"""Diagnostics: `file:line:col: error: message`, the YAML line with a caret, the include chain, a hint.

The rendered shape is part of the product (approved-output snapshot tests compare it byte for byte):

    runbooks/x.yaml:12:7: error: unknown selector 'licenses.avaliable_count'
       12 |   - click: licenses.avaliable_count
          |            ^
      included from runbooks/downgrade_license.yaml:8:5
      hint: did you mean 'licenses.available_count'?
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from executor.model.base import SourceSpan

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    file: str
    line: int  # 1-based; 0 when the problem has no position (a missing file)
    col: int  # 1-based
    message: str
    hint: str | None = None
    # The `use` steps through which the file was reached, outermost first (as in PlannedStep.chain).
    chain: tuple[SourceSpan, ...] = ()
    severity: Severity = "error"
    # The offending YAML line, captured at load time so rendering never re-reads files.
    source_line: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def reached_through(self, use_site: SourceSpan) -> Diagnostic:
        """The same diagnostic seen from a runbook that `use`s this file at `use_site`."""
        return replace(self, chain=(use_site, *self.chain))

    def render(self, base: str | Path | None = None) -> str:
        return render_diagnostic(self, base)


def display_path(file: str, base: str | Path | None = None) -> str:
    """`file` relative to `base` (default: the cwd) when it lies below it; unchanged otherwise."""
    if not os.path.isabs(file):
        return file
    root = os.path.abspath(base if base is not None else os.getcwd())
    try:
        rel = os.path.relpath(file, root)
    except ValueError:  # another drive on Windows
        return file
    return file if rel.startswith("..") else rel


def render_diagnostic(d: Diagnostic, base: str | Path | None = None) -> str:
    where = display_path(d.file, base)
    if d.line > 0:
        where += f":{d.line}:{d.col}"
    lines = [f"{where}: {d.severity}: {d.message}"]
    if d.line > 0 and d.source_line is not None:
        number = str(d.line)
        lines.append(f"   {number} | {d.source_line}".rstrip())
        lines.append(f"   {' ' * len(number)} | {' ' * max(d.col - 1, 0)}^")
    # Nearest include first, like a compiler's "included from" notes.
    for span in reversed(d.chain):
        lines.append(f"  included from {display_path(span.file, base)}:{span.line}:{span.col}")
    if d.hint:
        lines.append(f"  hint: {d.hint}")
    return "\n".join(lines)


def render_diagnostics(diagnostics: Iterable[Diagnostic], base: str | Path | None = None) -> str:
    """All diagnostics, one block each, separated by a blank line."""
    return "\n\n".join(render_diagnostic(d, base) for d in diagnostics)


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Files in order of first appearance, then by position: reading order, stable across runs."""
    items = list(diagnostics)
    first_seen: dict[str, int] = {}
    for d in items:
        first_seen.setdefault(d.file, len(first_seen))
    return sorted(items, key=lambda d: (first_seen[d.file], d.line, d.col))


def dedupe(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """One diagnostic per (file, position, message): a sub-runbook used by many runbooks is reported
    once, preferring the shortest include chain (the file validated on its own, when it was)."""
    best: dict[tuple[str, int, int, str], Diagnostic] = {}
    for d in diagnostics:
        key = (d.file, d.line, d.col, d.message)
        kept = best.get(key)
        if kept is None or len(d.chain) < len(kept.chain):
            best[key] = d
    return list(best.values())


class LoadError(Exception):
    """A runbook or catalogue could not be loaded; carries every problem found, not just the first."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics: list[Diagnostic] = list(diagnostics)
        super().__init__(render_diagnostics(self.diagnostics))

    def __str__(self) -> str:
        return render_diagnostics(self.diagnostics)

    def render(self, base: str | Path | None = None) -> str:
        return render_diagnostics(self.diagnostics, base)
