"""`run_plans`: the sync entry point that opens its own browser (the CLI's and pytest plugin's way)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from engine_builders import a, click, fill, goto, plan
from engine_site import site_catalogue

from executor.browser import BrowserSettings
from executor.engine import EngineOptions
from executor.events import Bus, JobFinished, Recorder, RunFinished, RunStarted, StepFinished
from executor.run_api import run_plans

pytestmark = pytest.mark.e2e

CAT = site_catalogue()


def test_run_plans_opens_a_browser_runs_each_job_in_its_own_context(site, tmp_path: Path) -> None:
    first = plan(goto("/", 1), fill("form.email", "ann@x.test", 2), name="first")
    # a fresh context: the second job does not see the first one's typing
    second = plan(
        goto("/", 1, screenshot="full"),
        click("form.save", 2, expect=(a("text", "page.status", contains="Saved  as"),)),
        name="first",
    )
    rec = Recorder()
    results = run_plans(
        [first, second],
        CAT,
        base_url=site.base_url,
        artifacts_dir=tmp_path / "run",
        options=EngineOptions(trace="off"),
        bus=Bus([rec]),
        # what pytest-playwright's browser_type_launch_args / browser_context_args fixtures give
        launch={"headless": True, "args": ["--lang=en-US"]},
        context_args={"locale": "en-US", "viewport": {"width": 1024, "height": 700}},
        run_id="run-1",
    )
    assert [r.status for r in results] == ["passed", "passed"]
    assert [r.job_id for r in results] == ["first", "first-2"]  # job ids stay unique
    assert results[1].artifacts_dir == tmp_path / "run" / "first-2"
    assert isinstance(rec.events[0], RunStarted) and isinstance(rec.events[-1], RunFinished)
    assert rec.events[-1].jobs == {"passed": 2} and rec.events[-1].status == "passed"
    assert {e.run_id for e in rec.of(JobFinished)} == {"run-1"}
    full = Path(rec.of(StepFinished)[2].screenshot or "")
    assert full.exists()  # a full-page capture (Playwright's path)


def test_run_plans_works_from_inside_a_running_event_loop(site, tmp_path: Path) -> None:
    async def caller() -> str:
        # e.g. a sync-Playwright test: a loop is already running in this thread
        results = run_plans(
            plan(goto("/", 1)),
            CAT,
            base_url=site.base_url,
            artifacts_dir=tmp_path,
            settings=BrowserSettings(),
        )
        return results[0].status

    # A thread of its own: a sync Playwright used earlier in this session (pytest-playwright's
    # fixtures) can leave its loop marked as running in the main thread, and asyncio.run refuses that.
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(asyncio.run, caller()).result(timeout=120) == "passed"
