"""YAML -> (data, source positions) -> frozen models, with `file:line:col:` diagnostics.

Nothing after this package sees a raw YAML dict: `load_runbook` and `load_catalogue` return the
models of `executor.model`, or raise `LoadError` carrying every problem found at once.
"""

from executor.load.catalogue_loader import (
    CatalogueReport,
    load_catalogue,
    read_catalogue,
    read_catalogue_report,
)
from executor.load.diagnostics import Diagnostic, LoadError, render_diagnostics
from executor.load.runbook_loader import RunbookLoader, load_runbook, validate_files, validate_paths

__all__ = [
    "CatalogueReport",
    "Diagnostic",
    "LoadError",
    "RunbookLoader",
    "load_catalogue",
    "load_runbook",
    "read_catalogue",
    "read_catalogue_report",
    "render_diagnostics",
    "validate_files",
    "validate_paths",
]
