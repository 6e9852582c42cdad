"""Dialog policy inside the engine, with the pattern site's ground truth: the journal's intent
(the `before_action` hook a bulk run uses) is written before a confirm is accepted, and a dry run
never accepts a dialog."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from patterns_server import PatternSite

from executor.engine import EngineOptions
from executor.events import Recorder, StepFinished
from executor.load.catalogue_loader import load_catalogue
from executor.load.runbook_loader import load_runbook
from executor.model.runbook import Step
from executor.plan import build_plan
from executor.run_api import run_plans
from executor.events import Bus

pytestmark = pytest.mark.e2e

HERE = Path(__file__).resolve().parent
CATALOGUE = load_catalogue(HERE / "selectors")


def planned(name: str, **params: str):  # type: ignore[no-untyped-def]
    runbook = load_runbook(HERE / "procedures" / f"{name}.yaml", CATALOGUE)
    return build_plan(runbook, params, catalogue=CATALOGUE, runbooks_root=HERE / "procedures")


def test_the_intent_is_written_before_the_confirm_is_accepted(fresh_site: PatternSite, tmp_path: Path) -> None:
    seen_at_intent: list[tuple[str, list[str], int]] = []
    recorder = Recorder()

    async def intent(step_id: str, step: Step) -> None:
        if step.destructive:
            state = await asyncio.to_thread(fresh_site.state)
            dialogs = sum(len(e.dialogs) for e in recorder.of(StepFinished))
            seen_at_intent.append((step_id, state["deleted"], dialogs))

    results = run_plans(
        planned("delete_license", tier="Eco"),
        CATALOGUE,
        base_url=fresh_site.url,
        artifacts_dir=tmp_path,
        options=EngineOptions(before_action=intent),
        bus=Bus([recorder]),
    )
    assert results[0].status == "passed", results[0].error
    assert seen_at_intent == [("3", [], 0)]  # nothing deleted, no dialog answered yet
    assert fresh_site.state()["deleted"] == ["Eco"]


def test_a_dry_run_never_accepts_a_dialog(fresh_site: PatternSite, tmp_path: Path) -> None:
    recorder = Recorder()
    results = run_plans(
        [planned("delete_license", tier="Pro"), planned("archive_report")],
        CATALOGUE,
        base_url=fresh_site.url,
        artifacts_dir=tmp_path,
        options=EngineOptions(dry_run=True),
        bus=Bus([recorder]),
    )
    delete = next(e for e in recorder.of(StepFinished) if e.title == "Delete one Pro license")
    assert delete.status == "skipped" and delete.reason and delete.reason.startswith("dry run: found")
    archive = next(e for e in recorder.of(StepFinished) if e.title == "Archive the report")
    assert [(d.answer, d.note) for d in archive.dialogs] == [("dismissed", "dry run: never accepted")]
    assert results[1].status == "failed"  # its check saw "Archive cancelled."
    state = fresh_site.state()
    assert (state["deleted"], state["archived"]) == ([], 0)
