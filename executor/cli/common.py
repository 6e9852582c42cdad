"""What every subcommand shares: exit codes, where the catalogue and runbooks are, printing."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from executor.load.diagnostics import Diagnostic, render_diagnostics

EXIT_OK = 0
EXIT_FAILED = 1  # a step failed
EXIT_INVALID = 2  # invalid input: runbook, catalogue, params

DEFAULT_SELECTORS = Path("selectors")
DEFAULT_RUNBOOKS = Path("runbooks")


def add_selectors_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--selectors",
        metavar="DIR",
        type=Path,
        default=None,
        help=f"the selector catalogue folder (default: {DEFAULT_SELECTORS}/)",
    )


def selectors_dir(given: Path | None, runbooks_root: Path | None = None) -> Path:
    """--selectors, else ./selectors, else the selectors/ next to the runbooks folder."""
    if given is not None:
        return given
    if DEFAULT_SELECTORS.is_dir() or runbooks_root is None:
        return DEFAULT_SELECTORS
    sibling = runbooks_root.parent / "selectors"
    return sibling if sibling.is_dir() else DEFAULT_SELECTORS


def print_diagnostics(diagnostics: list[Diagnostic], stream: TextIO | None = None) -> None:
    if diagnostics:
        print(render_diagnostics(diagnostics), file=stream or sys.stderr)
        print(file=stream or sys.stderr)


def resolve_runbook(name_or_path: str) -> Path:
    """`downgrade_license` -> runbooks/downgrade_license.yaml; a path is taken as is."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    candidate = DEFAULT_RUNBOOKS / f"{name_or_path}.yaml"
    return candidate if candidate.exists() else path
