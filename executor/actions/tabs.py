"""Moving between tabs: switch_tab, close_tab. (A step that opens a tab says `opens: tab`; the
engine follows it.)"""

from __future__ import annotations

from executor.actions.base import StepContext, action
from executor.model.runbook import CloseTabArgs, SwitchTabArgs


@action("switch_tab", changes_state=False)
async def switch_tab(ctx: StepContext, args: SwitchTabArgs) -> None:
    """Continue on `previous`, `first`, or the first open tab whose URL matches `/regex/`."""
    url = await ctx.switch_tab(args.to)
    ctx.note(f"now on {url}")


@action("close_tab", changes_state=False)
async def close_tab(ctx: StepContext, args: CloseTabArgs) -> None:
    """Close the current tab; the job continues on the one it was on before."""
    url = await ctx.close_tab()
    ctx.note(f"back on {url}")
