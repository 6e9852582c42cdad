"""A plan: the runbook's steps evaluated for one set of params, ready for the engine."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from executor.model.base import Frozen, SourceSpan
from executor.model.runbook import Runbook, Step


class PlannedStep(Frozen):
    """One step as the engine runs it.

    `step` is the evaluated copy (templates rendered). When a template reads `vars.*` (a value
    `extract` reads from the page), the step keeps that template and `needs_runtime` is true: the
    engine renders it just before the step with `executor.plan.evaluate_at_runtime`.
    `children` holds the planned steps of a `use` sub-runbook, run in place of the `use` step.
    """

    id: str  # "3", or "1.4" for the 4th step of the sub-runbook used at step 1
    step: Step
    runbook: str  # name of the runbook the step is written in
    chain: tuple[SourceSpan, ...] = ()  # the `use` steps that led here, outermost first
    needs_runtime: bool = False
    children: tuple[PlannedStep, ...] = ()
    # The params of the runbook this step belongs to (secret values included: never serialise).
    scope: Mapping[str, Any] = Field(default_factory=dict, repr=False, exclude=True)
    # Set when the plan already knows the step must not run (a `when` over params that is false):
    # the engine reports the step as skipped with this reason instead of running it.
    skip_reason: str | None = None
    # For a `use` step: the used runbook (its outputs become the caller's vars, rendered with
    # `executor.plan.use_outputs`) and its params as given by this call (the children's scope).
    sub_runbook: Runbook | None = Field(default=None, repr=False, exclude=True)
    sub_scope: Mapping[str, Any] = Field(default_factory=dict, repr=False, exclude=True)


class Plan(Frozen):
    runbook: Runbook
    params: Mapping[str, Any] = Field(default_factory=dict, repr=False, exclude=True)
    steps: tuple[PlannedStep, ...]
    outputs: Mapping[str, str] = Field(default_factory=dict)
    secrets: frozenset[str] = Field(default_factory=frozenset, repr=False, exclude=True)
