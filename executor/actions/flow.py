"""Control flow: use (a sub-runbook in place), repeat (a bounded loop), pause_for_operator, fail, done."""

from __future__ import annotations

from executor.actions.base import ActionError, StepContext, action
from executor.model.runbook import DoneArgs, FailArgs, PauseArgs, RepeatArgs, UseArgs


class FailRequested(ActionError):
    """The runbook's own `fail:` step: its message is the whole story (no Playwright detail)."""


class DoneRequested(Exception):
    """The runbook's own `done:` step: its effect already holds. Not an error: the engine ends the
    job as passed and reports the remaining steps as skipped with this message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@action("use", changes_state=True)
async def use(ctx: StepContext, args: UseArgs) -> None:
    """The plan already expanded the sub-runbook into the step's children; run them here.
    (No dry-run of its own: its children are judged one by one.)"""
    await ctx.run_children()


@action("repeat", changes_state=False)
async def repeat(ctx: StepContext, args: RepeatArgs) -> None:
    """Read-only rounds (the loader refuses a destructive step inside) until `until` holds."""
    rounds = await ctx.run_rounds(args.until, args.max)
    ctx.note(f"reached after {rounds} round(s)" if rounds else "held before the first round")


@action("pause_for_operator", changes_state=False)
async def pause_for_operator(ctx: StepContext, args: PauseArgs) -> None:
    if not ctx.headed or not ctx.interactive:
        why = "headless" if not ctx.headed else "not interactive (no terminal, or CI)"
        raise ActionError(
            f"this step needs an operator ({args.message!r}) but the run is {why}; "
            "run it headed from a terminal (`runbook run --headed`)"
        )
    ctx.prompt(args.message, args.timeout_ms)
    if not await ctx.condition(args.until, wait_ms=args.timeout_ms):
        raise ActionError(
            f"the operator did not finish within {args.timeout_ms / 1000:.0f} s: {args.message}"
        )


@action("fail", changes_state=False)
async def fail(ctx: StepContext, args: FailArgs) -> None:
    raise FailRequested(args.message)


@action("done", changes_state=False)
async def done(ctx: StepContext, args: DoneArgs) -> None:
    """Desired state: used with `when`, e.g. "already Eco" before anything is bought."""
    raise DoneRequested(args.message)
