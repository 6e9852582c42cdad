"""Pure planning: (runbook, params, catalogue) -> a Plan of evaluated steps, no browser.

Params are coerced by type (env fallbacks, defaults, secrets collected), `use` steps are expanded
into their children, and every template that does not read `vars.*` is rendered now, so
`runbook plan` shows what will happen. Templates reading values from the page (`vars.*`) are kept
and the step is marked `needs_runtime`: the engine calls `evaluate_at_runtime` just before it.
A `when` over params only is decided here: a false one keeps the step with a `skip_reason`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from executor import template
from executor.load.diagnostics import LoadError
from executor.load.param_values import ParamValueError, coerce
from executor.load.runbook_loader import RunbookLoader
from executor.load.suggest import did_you_mean
from executor.model.base import Frozen, SourceSpan
from executor.model.catalogue import Catalogue
from executor.model.plan import Plan, PlannedStep
from executor.model.runbook import Condition, FillArgs, RepeatArgs, Runbook, SetArgs, Step, UseArgs
from executor.plan_view import describe_plan, plan_table

T = TypeVar("T")


class PlanError(Exception):
    """The runbook cannot be planned with these params (the CLI exits 2). Lists every problem."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


# --- params ----------------------------------------------------------------------------------


def coerce_params(
    runbook: Runbook,
    given: Mapping[str, Any],
    env: Mapping[str, str],
    *,
    deferred: Iterable[str] = (),
) -> tuple[dict[str, Any], list[str]]:
    """Values for every param of `runbook` (given, else from env, else the default) and the problems.

    `deferred` params are known only at run time (a `use` param reading `vars.*`): not missing.
    """
    problems: list[str] = []
    values: dict[str, Any] = {}
    declared = {p.name for p in runbook.params}
    late = set(deferred)
    for name in given:
        if name not in declared:
            hint = did_you_mean(name, declared)
            problems.append(
                f"unknown param '{name}' for runbook '{runbook.name}'" + (f"; {hint}" if hint else "")
            )
    for param in runbook.params:
        if param.name in late:
            continue
        if param.name in given and given[param.name] is not None:
            raw = given[param.name]
        elif param.env and env.get(param.env):
            raw = env[param.env]
        elif not param.required:
            # Not given: its default, or None (a template can test it: `when: "{{ params.x }}"`).
            values[param.name] = param.default
            continue
        else:
            how = f"--param {param.name}=..." + (f" or set {param.env}" if param.env else "")
            what = f"param '{param.name}' ({param.type.value}) for runbook '{runbook.name}'"
            problems.append(f"missing required {what}: give {how}")
            continue
        try:
            values[param.name] = coerce(param, raw)
        except ParamValueError as err:
            problems.append(err.message + (f"; {err.hint}" if err.hint else ""))
    return values, problems


def secret_values(runbook: Runbook, values: Mapping[str, Any], extra_names: Iterable[str] = ()) -> set[str]:
    names = {p.name for p in runbook.params if p.secret} | set(extra_names)
    return {str(values[n]) for n in names if values.get(n) not in (None, "")}


def _evaluated_not_rendered(model: Frozen, name: str) -> bool:
    """Conditions are evaluated to true/false (by the plan or the engine), not rendered."""
    return isinstance(model, Condition) and name == "expr"


# --- planning --------------------------------------------------------------------------------


@dataclass
class _Scope:
    runbook: Runbook
    values: dict[str, Any]
    deferred: frozenset[str] = frozenset()  # params whose value is known only at run time
    secret_names: frozenset[str] = frozenset()  # params whose values are secret in this scope
    chain: tuple[SourceSpan, ...] = ()


@dataclass
class _Planner:
    loader: RunbookLoader
    env: Mapping[str, str]
    run: Mapping[str, Any] | None
    secrets: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)

    def deferred(self, text: str, scope: _Scope) -> bool:
        names = template.referenced_names(text)
        for name in names:
            root, _, attr = name.partition(".")
            if root == "vars" or (root == "run" and self.run is None):
                return True
            if root in ("params", "row") and attr in scope.deferred:
                return True
        return False

    def render(self, text: str, scope: _Scope, where: SourceSpan, step_id: str) -> str:
        try:
            return template.render(text, template.context(scope.values, None, self.run))
        except template.TemplateRenderError as err:
            self.problems.append(f"{where}: step {step_id}: {err}")
            return text

    def walk(self, value: T, scope: _Scope, where: SourceSpan, step_id: str) -> tuple[T, bool]:
        """A copy of `value` with every template rendered that can be now; True if any is left."""
        if isinstance(value, SetArgs):
            # Evaluated when the step runs, to a value of its own type (see SetArgs).
            return value, any(template.is_template(v) for v in value.values.values())
        if isinstance(value, str):
            if not template.is_template(value):
                return value, False
            if self.deferred(value, scope):
                return value, True
            return self.render(value, scope, where, step_id), False  # type: ignore[return-value]
        if isinstance(value, Frozen):
            update: dict[str, Any] = {}
            runtime = False
            for name in type(value).model_fields:
                if name == "source" or _evaluated_not_rendered(value, name):
                    continue
                old = getattr(value, name)
                new, later = self.walk(old, scope, where, step_id)
                runtime |= later
                if new is not old:
                    update[name] = new
            return (value.model_copy(update=update) if update else value), runtime
        if isinstance(value, Mapping):
            pairs = [(k, self.walk(v, scope, where, step_id)) for k, v in value.items()]
            changed = any(new is not value[k] for k, (new, _) in pairs)
            out = {k: new for k, (new, _) in pairs} if changed else value
            return out, any(later for _, (_, later) in pairs)  # type: ignore[return-value]
        if isinstance(value, tuple):
            items = [self.walk(v, scope, where, step_id) for v in value]
            changed = any(new is not old for (new, _), old in zip(items, value, strict=True))
            return (tuple(new for new, _ in items) if changed else value), any(l for _, l in items)  # type: ignore[return-value]
        return value, False

    def steps(self, scope: _Scope, prefix: str) -> tuple[PlannedStep, ...]:
        return tuple(
            self.step(step, scope, f"{prefix}{i}") for i, step in enumerate(scope.runbook.steps, start=1)
        )

    def step(self, step: Step, scope: _Scope, step_id: str) -> PlannedStep:
        base = {"id": step_id, "runbook": scope.runbook.name, "chain": scope.chain, "scope": scope.values}
        if (
            isinstance(step.args, FillArgs)
            and not step.args.secret
            and template.touches_secret(step.args.value, scope.secret_names)
        ):
            # A non-secret param of a used runbook given a secret value by its caller.
            step = step.model_copy(update={"args": step.args.model_copy(update={"secret": True})})
        when, runtime, skip = self.when(step, scope, step_id)
        if skip is not None:
            return PlannedStep(step=step.model_copy(update={"when": None}), skip_reason=skip, **base)
        if isinstance(step.args, RepeatArgs):
            return self.repeat(step, when, runtime, scope, step_id, base)
        evaluated, later = self.walk(step.model_copy(update={"when": None}), scope, step.source, step_id)
        evaluated = evaluated.model_copy(update={"when": when})
        if isinstance(step.args, UseArgs):
            return self.use(step, evaluated, scope, step_id, base, runtime or later)
        return PlannedStep(step=evaluated, needs_runtime=runtime or later, **base)

    def repeat(
        self, step: Step, when: Condition | None, runtime: bool, scope: _Scope, step_id: str, base: dict[str, Any]
    ) -> PlannedStep:
        """A loop's body is planned once, as its children (each round runs them again); the step
        itself keeps only its condition, so a round's templates are rendered when it runs."""
        assert isinstance(step.args, RepeatArgs)
        body = step.args.steps
        shell = step.model_copy(update={"when": None, "args": step.args.model_copy(update={"steps": ()})})
        evaluated, later = self.walk(shell, scope, step.source, step_id)
        evaluated = evaluated.model_copy(
            update={"when": when, "args": evaluated.args.model_copy(update={"steps": body})}
        )
        children = tuple(self.step(child, scope, f"{step_id}.{i}") for i, child in enumerate(body, start=1))
        return PlannedStep(step=evaluated, needs_runtime=runtime or later, children=children, **base)

    def when(self, step: Step, scope: _Scope, step_id: str) -> tuple[Condition | None, bool, str | None]:
        """(the condition left for the engine, whether it needs run-time values, a skip reason)."""
        cond = step.when
        if cond is None:
            return None, False, None
        if cond.expr is None:  # a page condition: its targets' args are rendered, the engine waits
            rendered, later = self.walk(cond, scope, cond.source, step_id)
            return rendered, later, None
        if self.deferred(cond.expr, scope):
            return cond, True, None
        try:
            value = template.render_value(cond.expr, template.context(scope.values, None, self.run))
        except template.TemplateRenderError as err:
            self.problems.append(f"{cond.source}: step {step_id}: {err}")
            return cond, False, None
        if template.truthy(value):
            return None, False, None
        return None, False, f"condition is false: {cond.expr}"

    def use(
        self, step: Step, evaluated: Step, scope: _Scope, step_id: str, base: dict[str, Any], runtime: bool
    ) -> PlannedStep:
        assert isinstance(step.args, UseArgs)
        try:
            sub = self.loader.load_shared(step.args.runbook)
        except LoadError as err:
            self.problems.append(
                f"{step.source}: step {step_id}: cannot load runbook '{step.args.runbook}':\n{err}"
            )
            return PlannedStep(step=evaluated, needs_runtime=runtime, **base)
        given: dict[str, Any] = {}
        late: set[str] = set()
        ctx = template.context(scope.values, None, self.run)
        for name, raw in step.args.params.items():
            if template.is_template(raw) and self.deferred(raw, scope):
                late.add(name)
                continue
            try:
                given[name] = template.render_value(raw, ctx)
            except template.TemplateRenderError as err:
                self.problems.append(f"{step.source}: step {step_id}: {err}")
        values, problems = coerce_params(sub, given, self.env, deferred=late)
        self.problems += [f"{step.source}: step {step_id} (use {sub.name}): {p}" for p in problems]
        # A param is secret in the used runbook if it is declared so, or if the caller fills it from a secret.
        inherited = {
            n for n, raw in step.args.params.items() if template.touches_secret(raw, scope.secret_names)
        }
        secret_names = frozenset({p.name for p in sub.params if p.secret} | inherited)
        self.secrets |= secret_values(sub, values, secret_names)
        child = _Scope(sub, values, frozenset(late), secret_names, (*scope.chain, step.source))
        return PlannedStep(
            step=evaluated,
            needs_runtime=runtime or bool(late),
            children=self.steps(child, f"{step_id}."),
            sub_runbook=sub,
            sub_scope=values,
            **base,
        )


_last_loader: RunbookLoader | None = None


def _loader(catalogue: Catalogue, runbooks_root: str | Path) -> RunbookLoader:
    """A bulk run plans one runbook per CSV row: reuse the loader (and its parsed `_shared/`
    runbooks) while the catalogue object and the root stay the same."""
    global _last_loader
    last = _last_loader
    if last is None or last.catalogue is not catalogue or last.root != Path(runbooks_root):
        last = _last_loader = RunbookLoader(catalogue, runbooks_root)
    return last


def build_plan(
    runbook: Runbook,
    params: Mapping[str, Any],
    *,
    catalogue: Catalogue,
    runbooks_root: str | Path,
    env: Mapping[str, str] = os.environ,
    run: Mapping[str, Any] | None = None,
) -> Plan:
    """Plan `runbook` for `params`; raise PlanError listing every problem.

    `run` ({base_url, run_id}) lets `run.*` templates render now; without it they wait for run time.
    """
    values, problems = coerce_params(runbook, params, env)
    if problems:
        raise PlanError(problems)
    planner = _Planner(_loader(catalogue, runbooks_root), env, run)
    planner.secrets |= secret_values(runbook, values)
    secret_names = frozenset(p.name for p in runbook.params if p.secret)
    steps = planner.steps(_Scope(runbook, values, secret_names=secret_names), "")
    if planner.problems:
        raise PlanError(planner.problems)
    return Plan(
        runbook=runbook,
        params=values,
        steps=steps,
        outputs=dict(runbook.outputs),
        secrets=frozenset(planner.secrets),
    )


# --- run time ---------------------------------------------------------------------------------


def _render_all(value: T, ctx: Mapping[str, Any]) -> T:
    if isinstance(value, SetArgs):
        rendered = {k: template.render_value(v, ctx) if isinstance(v, str) else v for k, v in value.values.items()}
        return value.model_copy(update={"values": rendered})  # type: ignore[return-value]
    if isinstance(value, str):
        return template.render(value, ctx) if template.is_template(value) else value  # type: ignore[return-value]
    if isinstance(value, Frozen):
        update = {}
        for name in type(value).model_fields:
            if name in ("source", "when") or _evaluated_not_rendered(value, name):
                continue
            if isinstance(value, RepeatArgs) and name == "steps":
                continue  # a loop's body is rendered round by round, as its own steps run
            old = getattr(value, name)
            new = _render_all(old, ctx)
            if new is not old:
                update[name] = new
        return value.model_copy(update=update) if update else value
    if isinstance(value, Mapping):
        return {k: _render_all(v, ctx) for k, v in value.items()}  # type: ignore[return-value]
    if isinstance(value, tuple):
        return tuple(_render_all(v, ctx) for v in value)  # type: ignore[return-value]
    return value


def evaluate_at_runtime(
    planned: PlannedStep, variables: Mapping[str, Any], *, run: Mapping[str, Any] | None = None
) -> Step:
    """The step with its remaining templates rendered (`params` = the step's scope, `vars` =
    `variables`). A `when` is left as is: decide it with `evaluate_condition_expr`.
    Raises `template.TemplateRenderError` (e.g. a var that an earlier, skipped step never set)."""
    return _render_all(planned.step, template.context(planned.scope, variables, run))


def evaluate_condition_expr(
    expr: str, scope: Mapping[str, Any], variables: Mapping[str, Any], *, run: Mapping[str, Any] | None = None
) -> bool:
    """A `when` / `until` expression, true or false (`false`, `no`, `0`, "" are false)."""
    return template.truthy(template.render_value(expr, template.context(scope, variables, run)))


def expand_use(
    planned: PlannedStep, variables: Mapping[str, Any], *, run: Mapping[str, Any] | None = None
) -> PlannedStep:
    """For a `use` step whose params read `vars.*`: a copy whose children see the params' values.

    Call it just before running the children of a `use` step with `needs_runtime`. New secret
    values (a secret param given from a var) are in `secret_values(sub_runbook, sub_scope)`.
    """
    sub = planned.sub_runbook
    if sub is None or not isinstance(planned.step.args, UseArgs):
        return planned
    ctx = template.context(planned.scope, variables, run)
    scope = dict(planned.sub_scope)
    for name, raw in planned.step.args.params.items():
        if name in scope or not template.is_template(raw):
            continue
        param = sub.param(name)
        value = template.render_value(raw, ctx)
        scope[name] = coerce(param, value) if param is not None else value
    children = tuple(child.model_copy(update={"scope": scope}) for child in planned.children)
    return planned.model_copy(
        update={
            "sub_scope": scope,
            "children": children,
            "step": evaluate_at_runtime(planned, variables, run=run),
        }
    )


def _render_outputs(outputs: Mapping[str, str], ctx: Mapping[str, Any]) -> dict[str, Any]:
    # An output whose var was never set (its step skipped, or the run stopped early) is None,
    # not an error: outputs are reported at the end of every run, failed ones included.
    out: dict[str, Any] = {}
    for name, text in outputs.items():
        try:
            out[name] = template.render_value(text, ctx)
        except template.TemplateRenderError:
            out[name] = None
    return out


def render_outputs(
    plan: Plan, variables: Mapping[str, Any], *, run: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The runbook's `outputs` for the vars a run ended with."""
    return _render_outputs(plan.outputs, template.context(plan.params, variables, run))


def use_outputs(
    planned: PlannedStep, child_variables: Mapping[str, Any], *, run: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """After a `use` step's children ran: the used runbook's outputs, to merge into the caller's vars."""
    if planned.sub_runbook is None:
        return {}
    return _render_outputs(
        planned.sub_runbook.outputs, template.context(planned.sub_scope, child_variables, run)
    )


def is_destructive(planned: PlannedStep) -> bool:
    """The step is destructive, or it is a `use` step with a destructive step anywhere below it.

    Shared pieces mark their own destructive steps (Pay, Save, Confirm removal); the `use` step
    that calls one is not marked, so a dry run goes into the piece and resolves those steps
    without acting. Reports of steps that never ran still say which ones would have changed things.
    """
    if planned.step.destructive:
        return True
    if planned.children:
        return any(is_destructive(c) for c in planned.children)
    sub = planned.sub_runbook  # children not expanded yet (their params read vars)
    return sub is not None and any(s.destructive for s in sub.steps)


def destructive_steps(steps: Iterable[PlannedStep]) -> list[PlannedStep]:
    """The steps that change the portal, depth first (what confirmations and consent name)."""
    found: list[PlannedStep] = []
    for planned in steps:
        # A `use` whose children are expanded only at run time still counts when its piece does.
        if planned.step.destructive or (not planned.children and is_destructive(planned)):
            found.append(planned)
        found += destructive_steps(planned.children)
    return found


def iter_steps(steps: Iterable[PlannedStep]) -> Iterable[PlannedStep]:
    """Every planned step, depth first (a `use` step, then its children)."""
    for planned in steps:
        yield planned
        yield from iter_steps(planned.children)


__all__ = [
    "PlanError",
    "destructive_steps",
    "is_destructive",
    "build_plan",
    "coerce_params",
    "describe_plan",
    "evaluate_at_runtime",
    "evaluate_condition_expr",
    "expand_use",
    "iter_steps",
    "plan_table",
    "render_outputs",
    "secret_values",
    "use_outputs",
]
