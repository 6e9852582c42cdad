"""Frozen, typed models: what a runbook and the selector catalogue *are* once loaded.

Nothing after `executor.load` sees a raw YAML dict: the loader converts the YAML surface into
these models once, keeping source positions for every diagnostic and report line.
"""

from executor.model.base import Frozen, SourceSpan
from executor.model.catalogue import Candidate, Catalogue, CatalogueEntry, CataloguePage, TextMatch
from executor.model.runbook import (
    Assertion,
    Condition,
    Param,
    ParamType,
    RetryPolicy,
    Runbook,
    Step,
    TargetRef,
)

__all__ = [
    "Assertion",
    "Candidate",
    "Catalogue",
    "CatalogueEntry",
    "CataloguePage",
    "Condition",
    "Frozen",
    "Param",
    "ParamType",
    "RetryPolicy",
    "Runbook",
    "SourceSpan",
    "Step",
    "TargetRef",
    "TextMatch",
]
