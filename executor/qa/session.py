"""Running one example: reset the fake portal, log in, run the plan, read the state before and after.

A `RunbookSession` lives as long as the pytest session (per xdist worker): one portal, one async
browser (see `browser_thread`), the engine's events to its listeners (the process's results file,
from which the run's report is built at the end: `executor.qa.run_report`). Each example gets a
fresh browser context, logged in by `_shared/login.yaml` (the portal's reset forgets sessions) or
by a saved storage state, and a folder of its own for screenshots, trace and video.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.async_api import BrowserContext

from executor.engine import EngineOptions, JobResult
from executor.events import Bus, JobStatus, Listener, Recorder, RunFinished, RunStarted
from executor.load.runbook_loader import RunbookLoader
from executor.model.catalogue import Catalogue
from executor.model.plan import Plan
from executor.model.runbook import Example, Runbook
from executor.plan import build_plan
from executor.qa.browser_thread import BrowserThread
from executor.qa.options import RunbookOptions
from executor.run_api import run_plan
from fake_portal.provider import TEST_CARD
from fake_portal.testing import HookClient

LOGIN_RUNBOOK = "login"
CARD_ENV = "PORTAL_CARD_NUMBER"  # the card a portal's payment form asks for (checkout_licenses)


@dataclass(frozen=True)
class ExampleSpec:
    """One test item: a runbook's example, in one dialect of the fake portal (None: a real portal)."""

    runbook: Runbook
    example: Example
    dialect: str | None
    runbooks_root: Path
    loader: RunbookLoader

    @property
    def catalogue(self) -> Catalogue:
        return self.loader.catalogue

    @property
    def name(self) -> str:
        """The item's name: `pro_to_eco[2026]`."""
        return self.example.name + (f"[{self.dialect}]" if self.dialect else "")

    @property
    def job_id(self) -> str:
        """The job in the HTML report; a refusal is marked so its red "failed" reads as intended."""
        suffix = " (must fail)" if self.example.outcome == "failed" else ""
        return f"{self.runbook.name}::{self.name}{suffix}"

    @property
    def slug(self) -> str:
        """The example's artifacts folder: `downgrade_license.pro_to_eco.2026`."""
        parts = [self.runbook.name, self.example.name, self.dialect or ""]
        return ".".join(re.sub(r"[^A-Za-z0-9_-]+", "-", p) for p in parts if p)


@dataclass
class ExampleRun:
    spec: ExampleSpec
    artifacts_dir: Path
    plan: Plan
    login: JobResult | None = None  # None with a saved storage state
    result: JobResult | None = None  # None when the login failed
    before: Mapping[str, Any] | None = None  # /_test/state; None on a real portal
    after: Mapping[str, Any] | None = None
    videos: list[Path] = field(default_factory=list)


def plan_example(spec: ExampleSpec) -> Plan:
    """Pure, no browser. Raises PlanError (a param missing from the environment, ...). On the fake
    portal (a dialect), a card its payment provider accepts when PORTAL_CARD_NUMBER is not set."""
    env = dict(os.environ)
    if spec.dialect is not None:
        env.setdefault(CARD_ENV, TEST_CARD)
    return build_plan(
        spec.runbook, spec.example.params, catalogue=spec.catalogue, runbooks_root=spec.runbooks_root, env=env
    )


class RunbookSession:
    def __init__(
        self,
        options: RunbookOptions,
        browser: BrowserThread,
        context_args: Mapping[str, Any],
        base_url: str,
        portal: HookClient | None,
        listeners: Iterable[Listener] = (),
    ) -> None:
        self.options = options
        self.browser = browser
        self.context_args = dict(context_args)
        self.base_url = base_url
        self.portal = portal
        self.headed = not browser.launch.get("headless", True)
        self.run_id = uuid.uuid4().hex[:12]
        self.artifacts = options.worker_artifacts
        self.report_path = options.report  # written at the end of the run, from every process's results
        self.bus = Bus(listeners)
        self.jobs: Counter[str] = Counter()
        self.failed_items = 0
        self._started = time.monotonic()

    # --- the session ---

    def start(self, item_count: int) -> None:
        self.bus.emit(
            RunStarted(
                run_id=self.run_id,
                base_url=self.base_url,
                job_count=item_count,
                artifacts_dir=str(self.artifacts),
            )
        )

    def finish(self) -> None:
        """Ends the run in the events. Failed *items* decide the run's status: an example that
        must fail shows a failed job, and that is a pass."""
        status: JobStatus = "failed" if self.failed_items else "passed"
        duration_ms = (time.monotonic() - self._started) * 1000
        self.bus.emit(
            RunFinished(run_id=self.run_id, status=status, duration_ms=duration_ms, jobs=dict(self.jobs))
        )

    # --- one example ---

    def engine_options(self) -> EngineOptions:
        return EngineOptions(
            screenshots=self.options.screenshots,
            trace=self.options.trace,
            headed=self.headed,
            interactive=False,  # a test never waits for a person
            locale=self.options.locale,
        )

    def run(self, spec: ExampleSpec, plan: Plan) -> ExampleRun:
        folder = self.artifacts / spec.slug
        shutil.rmtree(folder, ignore_errors=True)  # only this example's evidence, from this run
        folder.mkdir(parents=True, exist_ok=True)
        run = ExampleRun(spec, folder, plan)
        if self.portal is not None:
            self.portal.reset(spec.example.seed)
            self.portal.set_dialect(spec.dialect or "2026")
            self.portal.set_labels({})
            self.portal.set_faults()
            run.before = self.portal.state()
        self.browser.call(self._run(run))
        if self.portal is not None:
            run.after = self.portal.state()
        if run.result is not None:
            self.jobs[run.result.status] += 1
        return run

    def _login_plan(self, spec: ExampleSpec) -> Plan:
        login = spec.loader.load_shared(LOGIN_RUNBOOK)
        params = {"email": self.options.login_as} if self.options.login_as and login.param("email") else {}
        return build_plan(login, params, catalogue=spec.catalogue, runbooks_root=spec.runbooks_root)

    async def _run(self, run: ExampleRun) -> None:
        spec, options = run.spec, self.engine_options()
        args = dict(self.context_args)
        if self.options.auth_state is not None:
            args["storage_state"] = str(self.options.auth_state)
        if self.options.video in ("on", "retain-on-failure"):
            args["record_video_dir"] = str(run.artifacts_dir / "video")
        else:
            args.pop("record_video_size", None)
        context = await self.browser.browser.new_context(**args)
        try:
            if self.options.auth_state is None:
                recorder = Recorder()
                run.login = await run_plan(
                    self._login_plan(spec),
                    spec.catalogue,
                    base_url=self.base_url,
                    artifacts_dir=run.artifacts_dir / "login",
                    context=context,
                    # The login is the same in every example: pictures only when it fails.
                    options=dataclasses.replace(options, screenshots="on_failure"),
                    bus=Bus([recorder]),
                    job_id=f"{spec.job_id} login",
                    run_id=self.run_id,
                )
                if run.login.status == "failed":
                    for event in recorder.events:  # into the report only when it is the story
                        self.bus.emit(event)
                elif (run.artifacts_dir / "login").is_dir() and not any(
                    (run.artifacts_dir / "login").iterdir()
                ):
                    (run.artifacts_dir / "login").rmdir()  # a passed login with nothing to show
            if run.login is None or run.login.passed:
                run.result = await self._run_plan(run, context, options)
        finally:
            await context.close()  # a recorded video is complete only now
            run.videos = sorted((run.artifacts_dir / "video").glob("*.webm"))

    async def _run_plan(self, run: ExampleRun, context: BrowserContext, options: EngineOptions) -> JobResult:
        return await run_plan(
            run.plan,
            run.spec.catalogue,
            base_url=self.base_url,
            artifacts_dir=run.artifacts_dir,
            context=context,
            options=options,
            bus=self.bus,
            job_id=run.spec.job_id,
            run_id=self.run_id,
        )

    def discard_videos(self, run: ExampleRun) -> None:
        shutil.rmtree(run.artifacts_dir / "video", ignore_errors=True)
        run.videos = []
