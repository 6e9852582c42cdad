"""Each pytest process that runs examples writes its results file (`executor.listeners.results_file`):
the engine's events (the session's bus) and every runbook item's outcome (pytest's reports).

Registered on every xdist worker, or on the only process without xdist; never on the xdist
controller, which receives the workers' reports too but runs nothing (it builds the run's report:
`executor.qa.run_report`). The file is `<artifacts>[/gwN]/runbook-results.jsonl`, beside the
evidence it points at, and is only created once a runbook item or event comes.
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import pytest

from executor.events import Event, RunStarted
from executor.listeners.results_file import RESULTS_NAME, Header, ItemResult, Outcome, ResultsWriter, Shard
from executor.qa.options import RunbookOptions
from executor.qa.session import ExampleRun

# Where a CI says which pipeline run this is: shards of one run share it, a re-run of a shard
# keeps it (GitHub's run id survives "re-run failed jobs"). RUNBOOK_RUN_ID wins over them all.
CI_RUN_VARS = (
    "RUNBOOK_RUN_ID",
    "GITHUB_RUN_ID",
    "CI_PIPELINE_ID",
    "BUILDKITE_BUILD_ID",
    "CIRCLE_WORKFLOW_ID",
    "BUILD_TAG",
)
SESSION_KEY = "runbook_session"  # workerinput: the controller's session id, shared by its workers
RESULTS_KEY = "runbook_results"  # workeroutput: the worker's results file


def ci_run() -> str:
    return next((os.environ[v] for v in CI_RUN_VARS if os.environ.get(v)), "")


def shard_of(config: pytest.Config) -> Shard | None:
    """This process's shard: pytest-split's `--splits/--group`, or pytest-shard's `--num-shards/--shard-id`."""
    splits, group = config.getoption("splits", None), config.getoption("group", None)
    if splits and group:
        return Shard(index=int(group), count=int(splits), plugin="pytest-split")
    count, shard_id = config.getoption("num_shards", None), config.getoption("shard_id", None)
    if count and int(count) > 1 and shard_id is not None:
        return Shard(index=int(shard_id) + 1, count=int(count), plugin="pytest-shard")  # its ids are 0-based
    return None


def evidence_of(run: ExampleRun) -> tuple[str | None, str | None]:
    """(the failed step's screenshot, the trace) of an example, when there are."""
    jobs = [j for j in (run.login, run.result) if j is not None]
    failed = next((s for j in jobs for s in j.steps if s.status == "failed"), None)
    trace = next((j.trace for j in jobs if j.trace), None)
    return (failed.screenshot if failed else None), (str(trace) if trace else None)


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    text = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else report.longreprtext
    return str(text).removeprefix("Skipped: ")


class ResultsRecorder:
    """A pytest plugin (items' outcomes) and a bus listener (events) writing one results file."""

    def __init__(
        self,
        config: pytest.Config,
        options: RunbookOptions,
        session: str,
        is_runbook: Callable[[pytest.Item], bool],
    ) -> None:
        self.config = config
        self.options = options
        self.session = session
        self.is_runbook = is_runbook
        self.path = options.worker_artifacts / RESULTS_NAME
        self.writer = ResultsWriter(self.path, self._header)
        self._suite: list[str] = []
        self._reports: dict[str, list[pytest.TestReport]] = {}
        self._base_url = options.base_url or ""
        self._started = time.time()

    def _header(self) -> Header:
        ids = "\n".join(self._suite)
        return Header(
            session=self.session,
            process=self.options.worker or "main",
            started_at=self._started,
            suite_items=len(self._suite),
            suite_sha256=hashlib.sha256(ids.encode()).hexdigest(),
            shard=shard_of(self.config),
            ci_run=ci_run(),
            host=socket.gethostname(),
            rootdir=str(self.config.rootpath),
            base_url=self._base_url,
            browser=self.options.describe_browser(),
        )

    # --- events (the session's bus) ---

    def on_event(self, event: Event) -> None:
        if isinstance(event, RunStarted) and not self.writer.started:
            self._base_url = event.base_url
        self.writer.on_event(event)

    # --- pytest hooks ---

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        # First, before -k/-m and a sharding plugin deselect: every shard of a run sees the same suite.
        self._suite = sorted(i.nodeid for i in items if self.is_runbook(i))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if self.is_runbook(item):
            self._reports.setdefault(item.nodeid, []).append(report)
            if report.when == "teardown":
                self.writer.item(self._item(item, self._reports.pop(item.nodeid)))
        return report

    def pytest_sessionfinish(self) -> None:
        self.writer.close(time.time())
        output = getattr(self.config, "workeroutput", None)
        if output is not None and self.writer.started:
            output[RESULTS_KEY] = str(self.path)

    # --- one item ---

    def _item(self, item: Any, reports: list[pytest.TestReport]) -> ItemResult:
        spec = item.spec
        failed = next((r for r in reports if r.failed), None)
        skipped = next((r for r in reports if r.skipped), None)
        outcome: Outcome = "failed" if failed else ("skipped" if skipped else "passed")
        longrepr = failed.longreprtext if failed else ""
        reason = _skip_reason(skipped) if skipped and not failed else None
        run: ExampleRun | None = getattr(item, "example_run", None)
        jobs = []
        if run is not None and run.login is not None and run.login.status == "failed":
            jobs.append(f"{spec.job_id} login")  # its events reached the bus only then
        if run is not None and run.result is not None:
            jobs.append(spec.job_id)
        screenshot, trace = evidence_of(run) if run is not None and failed else (None, None)
        return ItemResult(
            nodeid=item.nodeid,
            name=item.name,
            path=item.nodeid.split("::", 1)[0],
            runbook=spec.runbook.name,
            outcome=outcome,
            duration_s=round(sum(r.duration for r in reports), 3),
            started_at=getattr(reports[0], "start", 0.0),
            phase=failed.when if failed else "",
            expected=spec.example.outcome,
            dialect=spec.dialect,
            jobs=tuple(jobs),
            message=next((line for line in longrepr.splitlines() if line.strip()), "")
            if failed
            else (reason or ""),
            longrepr=longrepr,
            skip_reason=reason,
            folder=str(run.artifacts_dir) if run is not None else None,
            screenshot=screenshot,
            trace=trace,
            videos=tuple(str(Path(v)) for v in run.videos) if run is not None else (),
        )
