"""The engine end to end on static pages: act, assert, screenshot, events."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_builders import (
    a,
    check,
    click,
    expect,
    extract,
    fill,
    goto,
    plan,
    ref,
    retry,
    select,
    set_vars,
    when,
)
from engine_site import site_catalogue

from executor.events import JobFinished, JobStarted, StepFinished, StepStarted

pytestmark = pytest.mark.e2e

CAT = site_catalogue()


def test_a_small_plan_runs_end_to_end(engine_run) -> None:
    p = plan(
        goto("/", 3, name="Open the account page", expect=(a("visible", "page.heading"),)),
        fill("form.email", "ann@x.test", 6),
        select("form.role", "Administrator", 8),
        check("form.accept", 10),
        click(
            "form.save", 12, expect=(a("text", "page.status", contains="Saved ann@x.test as Administrator"),)
        ),
        extract("available", "page.available", 16, what="text", pattern=r"(\d+)", as_type="int"),
        set_vars(18, greeting="hello"),
        click("menu.licenses", 20, expect=(a("url", contains="/licenses"), a("visible", "licenses.heading"))),
    )
    result, rec = engine_run(p, CAT)
    assert result.status == "passed", result.error
    finished = rec.of(StepFinished)
    assert [e.status for e in finished] == ["passed"] * 8
    assert [e.title for e in rec.of(StepStarted)][:2] == ["Open the account page", "fill form.email"]
    # every step left a screenshot (JPEG by default), named in order
    shots = [Path(e.screenshot) for e in finished if e.screenshot]
    assert len(shots) == 8 and all(s.exists() and s.stat().st_size > 1000 for s in shots)
    assert shots[0].read_bytes()[:3] == b"\xff\xd8\xff"
    assert finished[5].variables == {"available": 2}
    assert finished[6].variables == {"greeting": "hello"}
    # assertions recorded with their result; the fallback candidate is recorded
    save = finished[4]
    assert [r.status for r in save.assertions] == ["passed"]
    nav = finished[7]
    assert nav.matches[-2].entry == "licenses.heading" or nav.matches[0].entry == "menu.licenses"
    menu = next(m for m in nav.matches if m.entry == "menu.licenses")
    assert (menu.candidate_index, menu.candidate_count, menu.fallback) == (1, 3, True)
    assert menu.label == "fallback 2 of 3"
    t = save.timings
    assert t.act_ms > 0 and t.screenshot_ms > 0 and t.total_ms >= t.act_ms + t.assert_ms
    job = rec.of(JobFinished)[0]
    assert job.status == "passed" and job.counts == {"passed": 8}
    assert rec.of(JobStarted)[0].step_count == 8


def test_when_false_skips_and_optional_failure_warns(engine_run) -> None:
    p = plan(
        goto("/", 1),
        click("form.save", 2, when=when("False")),
        click("form.save", 3, when=when(visible=ref("page.details"), within_ms=100)),
        click("page.missing", 4, optional=True, timeout_ms=300),
        expect(a("visible", "page.heading"), line=5),
    )
    result, rec = engine_run(p, CAT)
    statuses = [e.status for e in rec.of(StepFinished)]
    assert statuses == ["passed", "skipped", "skipped", "warned", "passed"]
    skipped = rec.of(StepFinished)[1]
    assert skipped.reason == "when: False is false" and skipped.screenshot is None
    assert "page.details visible within 100 ms" in (rec.of(StepFinished)[2].reason or "")
    warned = rec.of(StepFinished)[3]
    assert warned.reason == "optional step failed" and "page.missing not found" in (warned.error or "")
    assert result.status == "warned"


def test_plan_time_skip_reason_is_honoured(engine_run) -> None:
    p = plan(goto("/", 1), click("form.save", 2))
    skipped = p.steps[1].model_copy(update={"skip_reason": "condition is false: {{ params.tier == 'Pro' }}"})
    p = p.model_copy(update={"steps": (p.steps[0], skipped)})
    _, rec = engine_run(p, CAT)
    assert rec.of(StepFinished)[1].status == "skipped"
    assert rec.of(StepFinished)[1].reason == "condition is false: {{ params.tier == 'Pro' }}"


def test_failed_expectation_says_step_location_expected_and_found(engine_run) -> None:
    p = plan(
        goto("/", 1),
        click(
            "form.save",
            7,
            name="Save the profile",
            expect=(a("text", "page.status", contains="Saved zed@x.test"),),
        ),
        click("form.save", 9),
    )
    result, rec = engine_run(p, CAT)
    assert result.status == "failed" and result.failed_step == "2"
    assert result.error == (
        "step 2 'Save the profile' (runbooks/test_runbook.yaml:7:5): expected page.status text contains "
        "'Saved zed@x.test': found 'Saved  as Standard user (accepted: false)'"
    )
    finished = rec.of(StepFinished)
    assert len(finished) == 2  # the job stopped
    assert rec.of(JobFinished)[0].not_run == ("click form.save",)
    assert "- click: form.save" in finished[1].yaml and "contains: Saved zed@x.test" in finished[1].yaml


def test_assertion_message_comes_first(engine_run) -> None:
    p = plan(
        goto("/", 1),
        expect(a("visible", ref("users.row", email="zed@x.test"), message="user zed not found"), line=4),
    )
    result, _ = engine_run(p, CAT)
    assert result.error is not None
    assert result.error.startswith(
        "step 2 'expect' (runbooks/test_runbook.yaml:4:5): user zed not found (expected"
    )
    assert "users.row(email=zed@x.test) not found" in result.error


def test_action_error_is_summarised(engine_run) -> None:
    p = plan(goto("/", 1), click("form.locked", 2, timeout_ms=400))
    result, _ = engine_run(p, CAT)
    assert result.error is not None
    assert result.error.startswith(
        "step 2 'click form.locked' (runbooks/test_runbook.yaml:2:5): click form.locked: "
    )
    assert result.error.endswith(
        "Locator.click: timed out after 400 ms (waiting for element to be visible, enabled and stable; "
        "element is not enabled)"
    )


def test_retry_reruns_read_only_steps_only(engine_run) -> None:
    p = plan(
        goto("/", 1),
        click("page.missing", 2, read_only=True, retry=retry(3), timeout_ms=100, optional=True),
        click("page.missing", 3, retry=retry(3), timeout_ms=100, optional=True),
    )
    _, rec = engine_run(p, CAT)
    read_only, unsafe = rec.of(StepFinished)[1:]
    assert read_only.attempts == 3
    assert unsafe.attempts == 1 and "retry ignored" in unsafe.notes[0]


def test_fail_step_stops_the_job_with_its_message(engine_run) -> None:
    from engine_builders import fail

    p = plan(goto("/", 1), fail("bob holds Eco, nothing was changed", 2), goto("/licenses", 3))
    result, rec = engine_run(p, CAT)
    assert (
        result.error == "step 2 'fail' (runbooks/test_runbook.yaml:2:5): bob holds Eco, nothing was changed"
    )
    assert len(rec.of(StepFinished)) == 2


def test_a_server_error_page_fails_the_step_at_once_and_only_that_step(engine_run) -> None:
    # The assertion's budget is long: had the step waited for it, the error would be the
    # assertion's, not the server's.
    p = plan(
        goto("/licenses", 1),
        click("licenses.break", 2, optional=True, expect=(a("visible", "done.heading", timeout_ms=30_000),)),
        goto("/", 3, expect=(a("visible", "page.heading"),)),  # navigating away works as usual
    )
    result, rec = engine_run(p, CAT)
    assert result.status == "warned", result.error
    broken = rec.of(StepFinished)[1]
    assert broken.status == "warned"
    assert (broken.error or "").endswith("the portal answered HTTP 500 to POST /boom")
    assert [r.status for r in broken.assertions] in ([], ["not_checked"])
    assert rec.of(StepFinished)[2].status == "passed"


def test_a_request_that_gets_no_answer_fails_the_step_at_once(engine_run) -> None:
    p = plan(
        goto("/licenses", 1),
        click("licenses.hang_up", 2, expect=(a("visible", "done.heading", timeout_ms=30_000),)),
    )
    result, rec = engine_run(p, CAT)
    assert result.status == "failed"
    error = rec.of(StepFinished)[1].error or ""
    assert "POST /hangup got no answer from the portal (net::ERR_EMPTY_RESPONSE)" in error, error
