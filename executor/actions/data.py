"""Reading values from the page into `vars`: extract, set."""

from __future__ import annotations

import re
from typing import Any

from executor.actions.base import ActionError, StepContext, action
from executor.model.runbook import ExtractArgs, SetArgs


async def _read(ctx: StepContext, args: ExtractArgs) -> str | int:
    if args.what == "url":
        return ctx.page.url
    if args.what == "title":
        return await ctx.page.title()
    if args.target is None:
        raise ActionError(f"extract {args.what} needs a target")
    if args.what == "count":
        # Counting rows: many matches is the point, so the first candidate that finds any wins.
        locator = await ctx.locate(args.target, mode="any")
        return await locator.count()
    locator = await ctx.locate(args.target)
    timeout = ctx.timeout_ms()
    if args.what == "text":
        return (await locator.inner_text(timeout=timeout)).strip()
    if args.what == "value":
        return await locator.input_value(timeout=timeout)
    if not args.attribute:
        raise ActionError("extract what: attribute needs `attribute`")
    value = await locator.get_attribute(args.attribute, timeout=timeout)
    if value is None:
        raise ActionError(f"{args.target.describe()} has no attribute {args.attribute!r}")
    return value


def _apply_pattern(raw: str, pattern: str) -> str:
    match = re.search(pattern, raw)
    if match is None:
        raise ActionError(f"pattern {pattern!r} does not match {raw!r}")
    return match.group(1) if match.groups() else match.group(0)


def _as_int(value: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        pass
    # "Available Eco licenses: 2" -> 2; but a text with several numbers is refused rather than
    # guessed: a wrong count here could decide a purchase. A `pattern` says which one.
    numbers = re.findall(r"-?\d+", value)
    if len(numbers) != 1:
        raise ActionError(f"{value!r} does not hold exactly one number; add a `pattern` to pick it")
    return int(numbers[0])


@action("extract", changes_state=False)
async def extract(ctx: StepContext, args: ExtractArgs) -> None:
    value: Any = await _read(ctx, args)
    if args.pattern is not None:
        value = _apply_pattern(str(value), args.pattern)
    if args.as_type == "int" and not isinstance(value, int):
        value = _as_int(str(value))
    if args.secret:
        ctx.add_secret(str(value))
    ctx.set_var(args.into, value)


@action("set", changes_state=False)
async def set_vars(ctx: StepContext, args: SetArgs) -> None:
    """Values arrive rendered (the plan, or the engine just before the step, rendered them)."""
    for name, value in args.values.items():
        ctx.set_var(name, value)
