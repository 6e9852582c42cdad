"""Actions on one element: click, check, uncheck, hover, fill, select, press.

Each relies on Playwright's auto-waiting (visible, enabled, stable, receiving events) within what
is left of the step's budget after the target was resolved.
"""

from __future__ import annotations

from executor.actions.base import StepContext, action, resolve_only
from executor.model.runbook import FillArgs, PressArgs, SelectArgs, TargetArgs


@action("click", changes_state=True, dry_run=resolve_only)
async def click(ctx: StepContext, args: TargetArgs) -> None:
    locator = await ctx.locate(args.target)
    await locator.click(timeout=ctx.timeout_ms())


@action("check", changes_state=True, dry_run=resolve_only)
async def check(ctx: StepContext, args: TargetArgs) -> None:
    locator = await ctx.locate(args.target)
    await locator.check(timeout=ctx.timeout_ms())


@action("uncheck", changes_state=True, dry_run=resolve_only)
async def uncheck(ctx: StepContext, args: TargetArgs) -> None:
    locator = await ctx.locate(args.target)
    await locator.uncheck(timeout=ctx.timeout_ms())


@action("hover", changes_state=False)
async def hover(ctx: StepContext, args: TargetArgs) -> None:
    locator = await ctx.locate(args.target)
    await locator.hover(timeout=ctx.timeout_ms())


@action("fill", changes_state=True, dry_run=resolve_only)
async def fill(ctx: StepContext, args: FillArgs) -> None:
    """A secret value: the field is protected (masked, shown as dots) *before* typing, so no frame
    of the trace's screencast ever shows it; the trace itself is scrubbed when saved."""
    locator = await ctx.locate(args.target)
    if args.secret or ctx.is_secret(args.value):
        ctx.add_secret(args.value)
        await ctx.protect(locator)
    await locator.fill(args.value, timeout=ctx.timeout_ms())


@action("select", changes_state=True, dry_run=resolve_only)
async def select(ctx: StepContext, args: SelectArgs) -> None:
    locator = await ctx.locate(args.target)
    await locator.select_option(label=args.option, timeout=ctx.timeout_ms())


async def _press_dry_run(ctx: StepContext, args: PressArgs) -> None:
    if args.target is not None:
        await ctx.locate(args.target)


@action("press", changes_state=True, dry_run=_press_dry_run)
async def press(ctx: StepContext, args: PressArgs) -> None:
    if args.target is None:
        await ctx.page.keyboard.press(args.key)
        return
    locator = await ctx.locate(args.target)
    await locator.press(args.key, timeout=ctx.timeout_ms())
