"""Flow through the engine: sub-runbooks, run-time templates, conditions, session expiry,
operator pauses, dry runs, waits and extra captures."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_builders import (
    a,
    click,
    expect,
    extract,
    fill,
    goto,
    pause,
    plan,
    planned,
    press,
    ref,
    screenshot,
    set_vars,
    step,
    use,
    wait_for,
    when,
)
from engine_site import site_catalogue

from executor.events import JobFinished, OperatorPrompt, StepFinished
from executor.model.runbook import Runbook, TargetArgs

pytestmark = pytest.mark.e2e

CAT = site_catalogue()


def _sub_runbook(*steps, outputs=None, name="pick_user"):  # type: ignore[no-untyped-def]
    return Runbook(name=name, path=f"runbooks/_shared/{name}.yaml", steps=tuple(steps), outputs=outputs or {})


def test_use_runs_children_in_their_own_vars_and_outputs_become_vars(engine_run) -> None:
    inner = set_vars(2, inner="bob")
    sub = _sub_runbook(inner, outputs={"who": "{{ vars.inner }}"})
    use_step = planned(use("pick_user", 3), "2", children=(planned(inner, "2.1", runbook="pick_user"),))
    use_step = use_step.model_copy(update={"sub_runbook": sub})
    later = planned(fill("form.email", "{{ vars.who }}@x.test", 5), "3").model_copy(
        update={"needs_runtime": True}
    )
    p = plan(
        goto("/", 1),
        use_step,
        later,
        click("form.save", 6, expect=(a("text", "page.status", contains="Saved bob@x.test"),)),
        outputs={"final": "{{ vars.who }}"},
    )
    result, rec = engine_run(p, CAT)
    assert result.status == "passed", result.error
    by_id = {e.step_id: e for e in rec.of(StepFinished)}
    assert by_id["2.1"].depth == 1 and by_id["2.1"].variables == {"inner": "bob"}
    assert by_id["2"].variables == {"who": "bob"}  # the sub-runbook's outputs, in the caller's vars
    assert by_id["3"].title == "fill form.email" and by_id["3"].step["args"]["value"] == "bob@x.test"
    assert result.outputs == {"final": "bob"}
    assert by_id["2"].screenshot is None  # its last child already shows the page


def test_a_failing_child_fails_its_use_step_and_stops_the_job(engine_run) -> None:
    bad = click("page.missing", 9, timeout_ms=200)
    use_step = planned(
        use("pick_user", 3, name="Pick the user"), "2", children=(planned(bad, "2.1", runbook="pick_user"),)
    )
    p = plan(goto("/", 1), use_step, goto("/licenses", 4))
    result, rec = engine_run(p, CAT)
    statuses = {e.step_id: e.status for e in rec.of(StepFinished)}
    assert statuses == {"1": "passed", "2.1": "failed", "2": "failed"}
    assert result.failed_step == "2"
    assert (
        "step 2 'Pick the user' (runbooks/test_runbook.yaml:3:5): sub-runbook pick_user failed at step 2.1 "
        "'click page.missing' (runbooks/test_runbook.yaml:9): selector page.missing not found on "
    ) in (result.error or "")
    child = next(e for e in rec.of(StepFinished) if e.step_id == "2.1")
    assert {art.kind for art in child.artifacts} == {"screenshot", "html", "aria"}


def test_runtime_when_reads_vars(engine_run) -> None:
    p = plan(
        goto("/", 1),
        extract("available", "page.available", 2, pattern=r"(\d+)", as_type="int"),
        click("form.save", 3, when=when("{{ vars.available > 5 }}")),
        click("form.save", 4, when=when("{{ vars.available == 2 }}")),
    )
    _, rec = engine_run(p, CAT)
    assert [e.status for e in rec.of(StepFinished)] == ["passed", "passed", "skipped", "passed"]


def test_session_expiry_stops_the_job_with_a_clear_message(engine_run) -> None:
    p = plan(goto("/", 1), click("menu.expiring", 2), click("form.save", 3), goto("/", 4))
    result, rec = engine_run(p, CAT)
    assert result.session_expired and result.status == "failed"
    assert result.error == "session expired: run `runbook login` again"
    last = rec.of(StepFinished)[-1]
    assert last.step_id == "2" and last.status == "failed"
    assert (
        last.error
        == "step 2 'click menu.expiring' (runbooks/test_runbook.yaml:2:5): session expired: run `runbook login` again"
    )
    assert rec.of(JobFinished)[0].not_run == ("click form.save", "goto /")


def test_session_check_can_be_turned_off(engine_run) -> None:
    result, _ = engine_run(plan(goto("/", 1), click("menu.expiring", 2)), CAT, session_check=None)
    assert result.status == "passed"


def test_pause_for_operator_refuses_headless_runs(engine_run) -> None:
    p = plan(goto("/", 1), pause("Solve the captcha", when(visible=ref("page.heading")), line=2))
    result, _ = engine_run(p, CAT, headed=False, interactive=True)
    assert result.error == (
        "step 2 'pause_for_operator' (runbooks/test_runbook.yaml:2:5): this step needs an operator "
        "('Solve the captcha') but the run is headless; run it headed from a terminal (`runbook run --headed`)"
    )
    result, _ = engine_run(p, CAT, headed=True, interactive=False)
    assert "but the run is not interactive (no terminal, or CI)" in (result.error or "")


def test_pause_for_operator_waits_for_its_condition_when_interactive(engine_run) -> None:
    p = plan(
        goto("/", 1),
        click("page.later", 2),  # the details arrive 300 ms later, "as if" an operator acted
        pause("Open the details", when(visible=ref("page.details")), timeout_ms=5000, line=3),
    )
    result, rec = engine_run(p, CAT, headed=True, interactive=True)
    assert result.status == "passed", result.error
    assert rec.of(OperatorPrompt)[0].message == "Open the details"


def test_dry_run_resolves_destructive_steps_without_acting(engine_run) -> None:
    p = plan(
        goto("/", 1),
        fill("form.email", "ann@x.test", 2),
        click("form.save", 3, destructive=True, expect=(a("text", "page.status", contains="Saved"),)),
        expect(a("text", "page.status", equals=""), line=4),
    )
    result, rec = engine_run(p, CAT, dry_run=True)
    assert result.status == "passed", result.error
    save = rec.of(StepFinished)[2]
    assert save.status == "skipped"
    assert save.reason == "dry run: found form.save (first candidate), not acted on"
    assert save.matches[0].entry == "form.save"


def test_waits_press_hover_and_extra_screenshots(engine_run) -> None:
    hover = step("hover", TargetArgs(target=ref("form.save")), 5)
    p = plan(
        goto("/", 1),
        click("page.later", 2),
        wait_for("page.details", line=3),
        fill("form.email", "ann@x.test", 4),
        press("Enter", "form.email", line=5),
        hover,
        screenshot("overview", 7),
        expect(a("visible", "page.details"), line=8, screenshot="none"),
        wait_for("page.missing", "hidden", line=9),
    )
    result, rec = engine_run(p, CAT)
    assert result.status == "passed", result.error
    events = rec.of(StepFinished)
    extra = [art for art in events[6].artifacts if art.kind == "extra"]
    assert extra and extra[0].label == "overview" and Path(extra[0].path).exists()
    assert "overview" in Path(extra[0].path).name
    assert events[7].screenshot is None


def test_screenshots_off_and_on_failure_only(engine_run) -> None:
    result, rec = engine_run(plan(goto("/", 1), click("form.save", 2)), CAT, screenshots="off")
    assert result.status == "passed"
    assert all(e.screenshot is None for e in rec.of(StepFinished))
    assert not list(result.artifacts_dir.glob("*.jpg"))


def test_a_secret_extracted_at_run_time_is_redacted_from_then_on(engine_run) -> None:
    p = plan(
        goto("/", 1),
        extract("code", "page.available", 2, pattern=r"(Eco licenses: \d+)", secret=True),
        fill("form.email", "{{ vars.code }}", 3),
    )
    p = p.model_copy(update={"steps": (*p.steps[:2], p.steps[2].model_copy(update={"needs_runtime": True}))})
    result, rec = engine_run(p, CAT)
    assert result.status == "passed", result.error
    assert all("Eco licenses: 2" not in repr(e) for e in rec.events)
    assert rec.of(StepFinished)[1].variables == {"code": "***"}
