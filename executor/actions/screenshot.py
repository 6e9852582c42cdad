"""`screenshot`: an extra, named capture (every step already gets one after its assertions)."""

from __future__ import annotations

from executor.actions.base import StepContext, action
from executor.model.runbook import ScreenshotArgs


@action("screenshot", changes_state=False)
async def screenshot(ctx: StepContext, args: ScreenshotArgs) -> None:
    await ctx.screenshot(args.name, full=args.full)
