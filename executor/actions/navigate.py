"""Moving around: goto, wait_for."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from executor.actions.base import ActionError, StepContext, action
from executor.engine.locate import LocatorNotFound
from executor.model.runbook import GotoArgs, WaitForArgs


def join_url(base_url: str, url: str) -> str:
    """A path is joined to the run's base URL (keeping a base path prefix); a full URL is kept."""
    if urlsplit(url).scheme:
        return url
    if not base_url:
        raise ActionError(f"goto {url!r}: a path needs the run's base URL, and none was given")
    return base_url.rstrip("/") + "/" + url.lstrip("/")


@action("goto", changes_state=False)
async def goto(ctx: StepContext, args: GotoArgs) -> None:
    url = join_url(ctx.base_url, args.url)
    response = await ctx.page.goto(url, timeout=ctx.timeout_ms())
    if response is not None and response.status >= 400:
        # Not an error by itself (a 403 page may be what the step checks); the report says it.
        ctx.note(f"HTTP {response.status} from {url}")


@action("wait_for", changes_state=False)
async def wait_for(ctx: StepContext, args: WaitForArgs) -> None:
    if args.url_matches is not None:
        await ctx.page.wait_for_url(
            re.compile(args.url_matches), timeout=ctx.timeout_ms(), wait_until="commit"
        )
        return
    if args.target is None:
        raise ActionError("wait_for needs a target or url_matches")
    gone = args.state in ("hidden", "detached")
    try:
        # Waiting for something to go away: one look; absent already is what was awaited.
        locator = await ctx.locate(args.target, wait=not gone)
    except LocatorNotFound:
        if gone:
            return
        raise
    await locator.wait_for(state=args.state, timeout=ctx.timeout_ms())
