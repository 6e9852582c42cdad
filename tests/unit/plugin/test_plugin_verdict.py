"""A failed example rendered as the YAML step (tavern's habit), from events alone: no browser."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from executor.engine import JobResult
from executor.events import Artifact, AssertionResult, LocatorMatch, StepFinished
from executor.load.runbook_loader import RunbookLoader
from executor.model.base import SourceSpan
from executor.model.catalogue import Candidate, Catalogue, CatalogueEntry, TextMatch
from executor.model.plan import Plan
from executor.model.runbook import Example, Param, Runbook
from executor.qa.session import ExampleRun, ExampleSpec
from executor.qa.verdict import Where, problems, render, source_lines

RUNBOOK = """\
name: check_license
steps:
  - use: open_user_page
    name: Open the user page
  # --- the check ---
  - click: users.manage
    name: Manage the license
    expect:
      - text: {target: page.status, contains: "{{ params.tier }}"}
        message: the license did not change

  - expect:
      - visible: users.table
tests:
  - name: pro_user
"""


@pytest.fixture
def where(tmp_path: Path) -> Where:
    (tmp_path / "runbooks").mkdir()
    (tmp_path / "runbooks" / "check_license.yaml").write_text(RUNBOOK)
    return Where(tmp_path, tmp_path / "reports" / "report.html")


def catalogue() -> Catalogue:
    def entry(name: str, *candidates: Candidate) -> CatalogueEntry:
        return CatalogueEntry(name=name, page=name.split(".")[0], candidates=candidates)

    return Catalogue(
        pages={},
        entries={
            "users.manage": entry(
                "users.manage",
                Candidate(kind="role", role="button", name=TextMatch(value="Manage License")),
                Candidate(kind="test_id", text=TextMatch(value="manage")),
            ),
            "page.status": entry("page.status", Candidate(kind="role", role="status")),
        },
    )


def failed_step(where: Where, **changes: Any) -> StepFinished:
    step = StepFinished(
        job_id="check_license::pro_user[2026]",
        step_id="2",
        title="Manage the license",
        action="click",
        source="runbooks/check_license.yaml:6:5",
        status="failed",
        target="users.manage",
        error="step 2 'Manage the license' (runbooks/check_license.yaml:6:5): the license did not change "
        "(expected page.status text contains 'Eco': found 'Pro')",
        yaml="- click: users.manage\n  name: Manage the license",
        assertions=(
            AssertionResult(
                kind="text",
                expected="page.status text contains 'Eco'",
                status="failed",
                target="page.status",
                message="the license did not change",
                error="found 'Pro'",
            ),
        ),
        matches=(
            LocatorMatch("users.manage", "users.manage", 1, 2, "test_id='manage'", True),
            LocatorMatch("page.status", "page.status", 0, 1, "role=status", False),
        ),
        artifacts=(
            Artifact("screenshot", str(where.base / "reports/ex/002-manage-failure.jpg"), "page at failure"),
            Artifact("html", str(where.base / "reports/ex/002-manage-failure.html"), "page HTML"),
        ),
    )
    return dataclasses.replace(step, **changes)


def example_run(
    where: Where, step: StepFinished | None, *, outcome: str = "passed", **run: Any
) -> ExampleRun:
    example = Example(
        name="pro_user",
        params={"user_email": "user03@acme.example", "tier": "Eco"},
        outcome=outcome,  # type: ignore[arg-type]
        expect_state=run.pop("expect_state", {}),
        source=SourceSpan(file="runbooks/check_license.yaml", line=15, col=5),
    )
    params = (Param(name="user_email"), Param(name="tier", secret=run.pop("secret_tier", False)))
    runbook = Runbook(name="check_license", params=params, tests=(example,))
    spec = ExampleSpec(
        runbook, example, "2026", Path("runbooks"), RunbookLoader(catalogue(), where.base / "runbooks")
    )
    result = JobResult(
        job_id=spec.job_id,
        runbook="check_license",
        status="failed" if step else "passed",
        steps=(step,) if step else (),
        duration_ms=10,
        artifacts_dir=where.base / "reports/ex",
        trace=where.base / "reports/ex/trace.zip" if step else None,
    )
    login = JobResult(
        job_id="login", runbook="login", status="passed", steps=(), duration_ms=1, artifacts_dir=where.base
    )
    parts: dict[str, Any] = {"login": login, "result": result, **run}
    return ExampleRun(spec, where.base / "reports/ex", Plan(runbook=runbook, steps=()), **parts)


APPROVED = """\
runbooks/check_license.yaml:6:5: step 2 'Manage the license' failed; the example expects the runbook to pass
example 'pro_user' (runbooks/check_license.yaml:15:5): params user_email=user03@acme.example, tier=Eco; seed demo; dialect 2026; outcome passed

   6 |   - click: users.manage
   7 |     name: Manage the license
   8 |     expect:
   9 |       - text: {target: page.status, contains: "{{ params.tier }}"}
  10 |         message: the license did not change

evaluated step:
    - click: users.manage
      name: Manage the license

checks:
  FAILED      page.status text contains 'Eco': found 'Pro'
              the license did not change

selectors:
  users.manage: found by test_id='manage' (fallback 2 of 2)
    1. role=button name='Manage License'
    2. test_id='manage'
  page.status: found by role=status (first candidate)
    1. role=status

evidence:
  page at failure  reports/ex/002-manage-failure.jpg
  page HTML        reports/ex/002-manage-failure.html
  trace            reports/ex/trace.zip
  artifacts        reports/ex/
  report           reports/report.html"""


def test_a_failed_step_reads_as_the_yaml_the_author_wrote(where: Where) -> None:
    run = example_run(where, failed_step(where))
    assert render(run, problems(run, where), where) == APPROVED


def test_an_error_without_a_failed_check_is_shown_without_its_location_prefix(where: Where) -> None:
    step = failed_step(
        where,
        assertions=(),
        matches=(),
        error="step 2 'Manage the license' (runbooks/check_license.yaml:6:5): selector users.manage not found on "
        "http://portal/users — tried role=button name='Manage License' (0), test_id='manage' (0)",
    )
    text = render(example_run(where, step), problems(example_run(where, step), where), where)
    assert "  users.manage: not found\n    1. role=button name='Manage License'" in text
    assert "error:\n  selector users.manage not found on http://portal/users — tried" in text


def test_the_state_and_the_outcome_are_problems_of_their_own(where: Where) -> None:
    before = {
        "users": [{"email": "user03@acme.example", "license": "Pro"}],
        "pool": {},
        "ledger": [],
        "monthly_bill": 380,
    }
    run = example_run(
        where,
        None,
        outcome="failed",
        before=before,
        after=before,
        expect_state={"users": {"user03@acme.example": "Eco"}},
    )
    text = render(run, problems(run, where), where)
    assert text.startswith(
        "the runbook passed; the example expects it to refuse (outcome: failed)\nexample 'pro_user'"
    )
    assert "the portal's state after the run (/_test/state) is not as expected:" in text
    assert "  users.user03@acme.example  Eco       Pro" in text


def test_a_failed_login_names_the_login_runbook(where: Where) -> None:
    step = failed_step(
        where, step_id="1", title="Open the login page", source="runbooks/_shared/login.yaml:3:5"
    )
    login = JobResult(
        job_id="login",
        runbook="login",
        status="failed",
        steps=(step,),
        duration_ms=1,
        artifacts_dir=where.base,
    )
    run = example_run(where, None, login=login, result=None)
    found = problems(run, where)
    assert len(found) == 1
    assert found[0].startswith(
        "runbooks/_shared/login.yaml:3:5: step 1 'Open the login page' failed; "
        "the login (runbooks/_shared/login.yaml) failed before the runbook ran"
    )


def test_a_held_example_has_no_problem(where: Where) -> None:
    state = {"users": [], "pool": {}, "ledger": [], "monthly_bill": 0}
    assert problems(example_run(where, None, before=state, after=state), where) == []


def test_source_lines_stop_at_the_next_step_and_skip_trailing_blanks(where: Where) -> None:
    assert source_lines("runbooks/check_license.yaml:12:5", where.base) == [
        "  12 |   - expect:",
        "  13 |       - visible: users.table",
    ]
    assert source_lines("runbooks/missing.yaml:1:1", where.base) == []
    assert source_lines("runbooks/check_license.yaml:6:5", where.base, limit=2)[-1] == "    | ..."


def test_a_secret_param_of_the_example_is_masked(where: Where) -> None:
    run = example_run(where, failed_step(where), secret_tier=True)
    text = render(run, problems(run, where), where)
    assert "params user_email=user03@acme.example, tier=***;" in text
