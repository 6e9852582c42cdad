"""How a plan reads to an operator (`runbook plan`): one line per step, secrets as `***`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from executor.model.plan import Plan, PlannedStep
from executor.model.runbook import (
    Assertion,
    Condition,
    ExtractArgs,
    FailArgs,
    FillArgs,
    GotoArgs,
    PauseArgs,
    PressArgs,
    ScreenshotArgs,
    SelectArgs,
    SetArgs,
    Step,
    TargetArgs,
    UploadArgs,
    UseArgs,
    WaitForArgs,
)
from executor.redaction import MASK, Redactor

if TYPE_CHECKING:
    from rich.table import Table


def _ms(ms: int) -> str:
    if ms % 60_000 == 0 and ms >= 60_000:
        return f"{ms // 60_000}m"
    return f"{ms / 1000:g}s" if ms % 1000 == 0 or ms > 1000 else f"{ms}ms"


def describe_action(step: Step) -> str:
    """`click licenses.pay`, `fill login.email = '...'` (a secret fill shows ***)."""
    a = step.args
    head = step.action
    if isinstance(a, GotoArgs):
        return f"{head} {a.url}"
    if isinstance(a, TargetArgs):
        return f"{head} {a.target.describe()}"
    if isinstance(a, FillArgs):
        return f"{head} {a.target.describe()} = {MASK if a.secret else repr(a.value)}"
    if isinstance(a, SelectArgs):
        return f"{head} {a.target.describe()} option {a.option!r}"
    if isinstance(a, UploadArgs):
        if a.content is not None:
            return f"{head} {a.target.describe()} <- {a.filename!r} (inline, {len(a.content)} characters)"
        return f"{head} {a.target.describe()} <- {', '.join(a.files)}"
    if isinstance(a, PressArgs):
        return f"{head} {a.key}" + (f" on {a.target.describe()}" if a.target else "")
    if isinstance(a, WaitForArgs):
        if a.url_matches is not None:
            return f"{head} url matching {a.url_matches!r}"
        return f"{head} {a.target.describe() if a.target else ''} {a.state}"
    if isinstance(a, ExtractArgs):
        source = a.target.describe() if a.target else "the page"
        extra = f" {a.attribute}" if a.attribute else ""
        return f"{head} {a.what}{extra} of {source} -> vars.{a.into}" + (
            f" (as {a.as_type})" if a.as_type != "string" else ""
        )
    if isinstance(a, SetArgs):
        return f"{head} " + ", ".join(f"vars.{k} = {v!r}" for k, v in a.values.items())
    if isinstance(a, ScreenshotArgs):
        return f"{head} {a.name or ''}{' (full page)' if a.full else ''}".rstrip()
    if isinstance(a, UseArgs):
        inner = ", ".join(f"{k}={v}" for k, v in a.params.items())
        return f"{head} {a.runbook}" + (f"({inner})" if inner else "")
    if isinstance(a, PauseArgs):
        return f"{head} {a.message!r} until {describe_condition(a.until)}"
    if isinstance(a, FailArgs):
        return f"{head} {a.message!r}"
    return head


def describe_condition(c: Condition) -> str:
    within = f" within {_ms(c.within_ms)}" if c.within_ms else ""
    if c.expr is not None:
        return c.expr
    if c.visible is not None:
        return f"visible {c.visible.describe()}{within}"
    if c.hidden is not None:
        return f"hidden {c.hidden.describe()}{within}"
    return f"url matches {c.url_matches!r}{within}"


def describe_assertion(a: Assertion) -> str:
    parts: list[str] = [a.kind]
    if a.target is not None:
        parts.append(a.target.describe())
    for key in ("equals", "contains", "matches"):
        value = getattr(a, key)
        if value is not None:
            parts.append(f"{key} {value!r}")
    if a.ignore_case:
        parts.append("(ignore case)")
    return " ".join(parts)


def step_flags(planned: PlannedStep) -> list[str]:
    s = planned.step
    flags = []
    if planned.skip_reason:
        flags.append(f"skipped: {planned.skip_reason}")
    if s.destructive:
        flags.append("destructive")
    if s.when is not None:
        flags.append(f"when {describe_condition(s.when)}")
    if s.retry is not None:
        flags.append(f"retry {s.retry.attempts}x")
    if s.timeout_ms is not None:
        flags.append(f"timeout {_ms(s.timeout_ms)}")
    if s.optional:
        flags.append("optional")
    if planned.needs_runtime:
        flags.append("evaluated at run time")
    return flags


def _walk(steps: Iterable[PlannedStep]) -> Iterable[PlannedStep]:
    for planned in steps:
        yield planned
        yield from _walk(planned.children)


def describe_plan(plan: Plan, redactor: Redactor) -> list[str]:
    """Text lines for `runbook plan`: `id  action target  - name  [flags]`, assertions below."""
    steps = list(_walk(plan.steps))
    width = max((len(p.id) for p in steps), default=1)
    lines: list[str] = []
    for planned in steps:
        indent = "  " * planned.id.count(".")
        line = f"{planned.id:<{width}}  {indent}{describe_action(planned.step)}"
        if planned.step.name:
            line += f"  - {planned.step.name}"
        flags = step_flags(planned)
        if flags:
            line += f"  [{'; '.join(flags)}]"
        lines.append(redactor.redact(line))
        for assertion in planned.step.expect:
            lines.append(redactor.redact(f"{'':<{width}}  {indent}  expect {describe_assertion(assertion)}"))
    return lines


def plan_table(plan: Plan, redactor: Redactor) -> Table:
    """The same as `describe_plan`, as a rich table for terminals."""
    from rich.table import Table  # imported here: `validate` never pays for rich's import time

    table = Table(title=f"Plan: {plan.runbook.name}", show_lines=False)
    for column in ("#", "Step", "Action", "Flags", "Expect"):
        table.add_column(column, overflow="fold")
    for planned in _walk(plan.steps):
        step = planned.step
        flags = step_flags(planned)
        table.add_row(
            planned.id,
            redactor.redact(step.name or ""),
            redactor.redact(describe_action(step)),
            redactor.redact("; ".join(flags)),
            redactor.redact("\n".join(describe_assertion(a) for a in step.expect)),
            style="dim" if planned.skip_reason else ("bold red" if step.destructive else None),
        )
    return table
