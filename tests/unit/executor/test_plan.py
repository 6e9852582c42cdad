"""Planning: params coerced, `use` expanded, templates rendered now or kept for run time."""

from __future__ import annotations

import time
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from executor.load import load_catalogue, load_runbook
from executor.model.catalogue import Catalogue
from executor.model.plan import Plan
from executor.model.runbook import FillArgs, GotoArgs, Runbook, TargetArgs, UseArgs
from executor.plan import (
    PlanError,
    build_plan,
    describe_plan,
    evaluate_at_runtime,
    evaluate_condition_expr,
    expand_use,
    iter_steps,
    render_outputs,
    use_outputs,
)
from executor.redaction import MASK, Redactor

FIXTURES = Path(__file__).parent / "fixtures"
VALID = FIXTURES / "valid"
ENV = {"PORTAL_ADMIN_EMAIL": "admin@acme.example", "PORTAL_SMS_CODE": "981273"}
DOWNGRADE = {"user_email": "user03@acme.example", "target_tier": "Eco"}


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    return load_catalogue(FIXTURES / "selectors")


def runbook(name: str) -> Runbook:
    return load_runbook(VALID / f"{name}.yaml", catalogue(), runbooks_root=VALID)


def plan(name: str, params: dict[str, Any], env: dict[str, str] = ENV, **kw: Any) -> Plan:
    return build_plan(runbook(name), params, catalogue=catalogue(), runbooks_root=VALID, env=env, **kw)


def by_id(p: Plan) -> dict[str, Any]:
    return {s.id: s for s in iter_steps(p.steps)}


def test_params_are_coerced_by_type() -> None:
    p = plan("downgrade_license", {**DOWNGRADE, "quantity": "3", "confirm": "yes"})
    assert p.params == {**DOWNGRADE, "quantity": 3, "confirm": True, "admin_email": "admin@acme.example"}
    p = plan("downgrade_license", {**DOWNGRADE, "confirm": "0"})
    assert p.params["confirm"] is False and p.params["quantity"] == 1  # default


def test_every_param_problem_at_once() -> None:
    with pytest.raises(PlanError) as caught:
        plan(
            "downgrade_license",
            {"user_email": "not-an-email", "target_tier": "eco", "quantity": "x", "colour": "blue"},
            env={},
        )
    assert caught.value.problems == [
        "unknown param 'colour' for runbook 'downgrade_license'",
        "param 'user_email' must be an email address, got 'not-an-email'",
        "param 'target_tier' must be one of Eco, Advanced; got 'eco'; did you mean 'Eco'?",
        "param 'quantity' must be a whole number, got 'x'",
        (
            "missing required param 'admin_email' (email) for runbook 'downgrade_license':"
            " give --param admin_email=... or set PORTAL_ADMIN_EMAIL"
        ),
    ]


def test_given_param_wins_over_env() -> None:
    p = plan("downgrade_license", {**DOWNGRADE, "admin_email": "other@acme.example"})
    assert p.params["admin_email"] == "other@acme.example"


def test_secret_from_env_lands_in_plan_secrets_and_is_masked() -> None:
    p = plan("downgrade_license", DOWNGRADE)
    assert p.secrets == frozenset({"981273"})
    sms = by_id(p)["1.7"]
    assert isinstance(sms.step.args, FillArgs) and sms.step.args.value == "981273" and sms.step.args.secret
    text = "\n".join(describe_plan(p, Redactor(p.secrets)))
    assert "981273" not in text and f"login.sms_code = {MASK}" in text
    assert "981273" not in repr(p)  # the value is there for the engine to type, never in a repr


def test_use_is_expanded_into_children_with_ids() -> None:
    steps = by_id(plan("downgrade_license", DOWNGRADE))
    assert [i for i in steps if i.startswith("6")] == ["6", "6.1", "6.1.1", "6.2", "6.3", "6.4", "6.5", "6.6"]
    use = steps["6"]
    assert isinstance(use.step.args, UseArgs) and dict(use.step.args.params) == {
        "tier": "Eco",
        "quantity": "1",
    }
    assert use.sub_runbook is not None and use.sub_runbook.name == "buy_licenses"
    assert dict(use.sub_scope) == {"tier": "Eco", "quantity": 1}
    pay = steps["6.6"]
    assert pay.runbook == "buy_licenses" and pay.step.destructive
    assert pay.step.name == "Pay for 1 Eco license(s)"
    assert pay.step.expect[0].contains == "Payment accepted: 1 Eco"
    assert [s.line for s in pay.chain] == [use.step.source.line]
    link = steps["6.1.1"]
    assert len(link.chain) == 2 and link.runbook == "open_licenses"


def test_templates_are_rendered_unless_they_read_vars() -> None:
    steps = by_id(plan("downgrade_license", DOWNGRADE))
    manage = steps["8"]
    assert isinstance(manage.step.args, TargetArgs)
    assert dict(manage.step.args.target.args) == {"email": "user03@acme.example"} and not manage.needs_runtime
    captcha = steps["1.4"]
    assert captcha.needs_runtime and isinstance(captcha.step.args, FillArgs)
    assert captcha.step.args.value == "{{ vars.captcha }}"
    evaluated = evaluate_at_runtime(captcha, {"captcha": "481527"})
    assert isinstance(evaluated.args, FillArgs) and evaluated.args.value == "481527"
    assert captcha.step.args.value == "{{ vars.captcha }}"  # the plan is not mutated


def test_when_over_params_is_decided_at_plan_time() -> None:
    steps = by_id(plan("downgrade_license", DOWNGRADE))
    assert steps["5"].skip_reason == "condition is false: {{ params.confirm }}"
    steps = by_id(plan("downgrade_license", {**DOWNGRADE, "confirm": "true"}))
    assert steps["5"].skip_reason is None and steps["5"].step.when is None


def test_when_over_vars_waits_for_run_time() -> None:
    guard = by_id(plan("downgrade_license", DOWNGRADE))["4"]
    assert guard.needs_runtime and guard.step.when is not None and guard.skip_reason is None
    expr = guard.step.when.expr
    assert expr is not None
    assert evaluate_condition_expr(expr, guard.scope, {"old_tier": "Eco"}) is True
    assert evaluate_condition_expr(expr, guard.scope, {"old_tier": "Pro"}) is False
    step = evaluate_at_runtime(guard, {"old_tier": "Eco"})
    assert step.args.message == "user03@acme.example already holds Eco"  # type: ignore[union-attr]


def test_page_conditions_stay_for_the_engine() -> None:
    sms = by_id(plan("downgrade_license", DOWNGRADE))["1.7"]
    assert sms.step.when is not None and sms.step.when.visible is not None and sms.skip_reason is None


def test_outputs() -> None:
    p = plan("downgrade_license", DOWNGRADE)
    assert render_outputs(p, {"old_tier": "Pro", "new_tier": "Eco"}) == {"old_tier": "Pro", "new_tier": "Eco"}
    assert render_outputs(p, {"old_tier": "Pro"}) == {"old_tier": "Pro", "new_tier": None}  # never set
    login = by_id(p)["1"]
    assert use_outputs(login, {"captcha": "1"}) == {"signed_in_as": "admin@acme.example"}


def test_run_values_render_when_known() -> None:
    p = plan("check_pool", {"tier": "Eco"})
    assert render_outputs(p, {"available": 3}, run={"base_url": "http://127.0.0.1:8000", "run_id": "r1"}) == {
        "available": 3,
        "base": "http://127.0.0.1:8000/licenses",
    }
    assert by_id(p)["2"].step.args.target.args == {"tier": "Eco"}  # type: ignore[union-attr]  # row.* is params.*


def _write(tmp_path: Path, text: str) -> Runbook:
    path = tmp_path / "r.yaml"
    path.write_text(text, encoding="utf-8")
    return load_runbook(path, catalogue(), runbooks_root=VALID)


def test_use_params_reading_vars_are_resolved_at_run_time(tmp_path: Path) -> None:
    rb = _write(
        tmp_path,
        "name: r\nsteps:\n"
        "  - extract: {into: tier, target: licenses.summary_total}\n"
        "  - use: {runbook: buy_licenses, params: {tier: '{{ vars.tier }}', quantity: 2}}\n",
    )
    p = build_plan(rb, {}, catalogue=catalogue(), runbooks_root=VALID, env={})
    use = p.steps[1]
    assert use.needs_runtime and "tier" not in use.sub_scope
    fill = next(c for c in use.children if c.step.action == "fill")
    assert fill.needs_runtime  # reads params.tier, known only once vars.tier is
    ready = expand_use(use, {"tier": "Advanced"})
    assert dict(ready.sub_scope) == {"tier": "Advanced", "quantity": 2}
    fill = next(c for c in ready.children if c.step.action == "fill")
    step = evaluate_at_runtime(fill, {})
    assert (
        isinstance(step.args, FillArgs)
        and step.args.target.args == {"tier": "Advanced"}
        and step.args.value == "2"
    )


def test_a_secret_given_to_a_plain_param_stays_secret(tmp_path: Path) -> None:
    (tmp_path / "_shared").mkdir()
    (tmp_path / "_shared" / "type_email.yaml").write_text(
        "name: type_email\nparams:\n  text: string\nsteps:\n"
        "  - fill: {target: login.email, value: '{{ params.text }}'}\n"
    )
    (tmp_path / "r.yaml").write_text(
        "name: r\nparams:\n  token: {type: string, secret: true}\nsteps:\n"
        "  - use: {runbook: type_email, params: {text: '{{ params.token }}'}}\n"
    )
    rb = load_runbook(tmp_path / "r.yaml", catalogue(), runbooks_root=tmp_path)
    p = build_plan(rb, {"token": "tok-123"}, catalogue=catalogue(), runbooks_root=tmp_path, env={})
    fill = p.steps[0].children[0]
    assert isinstance(fill.step.args, FillArgs) and fill.step.args.secret
    assert p.secrets == frozenset({"tok-123"})


def test_render_errors_become_plan_errors(tmp_path: Path) -> None:
    rb = _write(tmp_path, "name: r\nparams:\n  n: int\nsteps:\n  - goto: '/{{ params.n + \"x\" }}'\n")
    with pytest.raises(PlanError, match="step 1"):
        build_plan(rb, {"n": "1"}, catalogue=catalogue(), runbooks_root=VALID, env={})


def test_describe_plan_lines() -> None:
    p = plan("downgrade_license", DOWNGRADE)
    lines = describe_plan(p, Redactor(p.secrets))
    assert lines[0].split() == ["1", "use", "login"]
    assert any(
        "click licenses.pay  - Pay for 1 Eco license(s)  [destructive; timeout 10s]" in line for line in lines
    )
    assert any("expect text licenses.status contains 'Payment accepted: 1 Eco'" in line for line in lines)
    assert any("[skipped: condition is false: {{ params.confirm }}]" in line for line in lines)
    assert GotoArgs(url="/users") == by_id(p)["7"].step.args


def test_planning_many_rows_is_fast() -> None:
    rb = runbook("downgrade_license")
    started = time.perf_counter()
    for i in range(50):
        params = {"user_email": f"user{i:02d}@acme.example", "target_tier": "Eco"}
        build_plan(rb, params, catalogue=catalogue(), runbooks_root=VALID, env=ENV)
    assert time.perf_counter() - started < 1.0


def test_used_files_follow_use_steps_at_every_depth() -> None:
    # What a bulk run pins in run.json: a resume refuses when any of these changed.
    from executor.workspace import Workspace

    ws = Workspace.open()
    used = {p.name for p in ws.used_files(ws.runbook("downgrade_license.yaml"))}
    assert {"checkout_licenses.yaml", "change_user_license.yaml", "remove_from_pool.yaml"} <= used
    assert {p.name for p in ws.used_files(ws.runbook("_bulk/buy_licenses.yaml"))} == {
        "clear_purchase_summary.yaml",
        "checkout_licenses.yaml",
    }
