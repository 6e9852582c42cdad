"""The run's one HTML report and one runbook JUnit XML, built when the run ends from its results files.

Registered on the process that ends the run: the xdist controller (its workers' files) or the only
process without xdist (its own file): the same merge `runbook report merge` does, in place (the
evidence stays where the workers wrote it; links are relative to the report). pytest's own
`--junitxml` is pytest's business and unchanged (xdist already merges it); ours is beside the
report (`--runbook-junit`), one testcase per example with the YAML step as the failure.

The files are found in the artifacts folder by the session id in their header, not taken from the
workers' `workeroutput`: a worker that crashed sends none, but its file holds every example it finished.

The artifacts folder then holds this run's results only: results files another run left there
(`gw3/` of an earlier `-n 4`) are removed, so merging the folder later gives this run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from executor.listeners.results_file import RESULTS_NAME, ResultsFileError
from executor.listeners.results_merge import Merged, MergeError, merge, read_all, write_reports
from executor.qa.options import RunbookOptions
from executor.qa.results import SESSION_KEY
from executor.qa.verdict import Where


def _session_of(path: Path) -> str | None:
    """The session in a results file's header line, or None (unreadable, not ours)."""
    try:
        with path.open(encoding="utf-8") as stream:
            header = json.loads(stream.readline())
    except (OSError, ValueError):
        return None
    return header.get("session") if isinstance(header, dict) else None


def results_files(artifacts: Path) -> list[Path]:
    """The results files a run may leave in its artifacts folder: its own, its workers' (`gwN/`)."""
    return sorted(p for p in [artifacts / RESULTS_NAME, *artifacts.glob(f"*/{RESULTS_NAME}")] if p.is_file())


class RunReport:
    def __init__(self, config: pytest.Config, options: RunbookOptions, session: str) -> None:
        self.config = config
        self.options = options
        self.session = session
        self.merged: Merged | None = None
        self.problem: str | None = None

    @pytest.hookimpl(trylast=True)  # after the recorders closed their files
    def pytest_sessionfinish(self) -> None:
        mine, stale = [], []
        for path in results_files(self.options.artifacts):
            (mine if _session_of(path) == self.session else stale).append(path)
        if not mine:
            return  # no example ran here (`pytest tests/`, --collect-only): leave the folder alone
        for path in stale:
            path.unlink(missing_ok=True)
        try:
            self.merged = merge(read_all(mine))
            write_reports(self.merged, self.options.report, self.options.junit)
        except (
            MergeError,
            ResultsFileError,
        ) as err:  # a bug of ours, or a disk: say it, keep pytest's result
            self.problem = str(err)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        where = Where(Path(self.config.invocation_params.dir))
        if self.problem:
            terminalreporter.write_line(f"runbook report: not written: {self.problem}", red=True)
        if self.merged is None:
            return
        for warning in self.merged.warnings:
            terminalreporter.write_line(f"runbook report: warning: {warning}", yellow=True)
        terminalreporter.write_line(f"runbook report: {where.path(self.options.report)}")
        terminalreporter.write_line(f"runbook junit: {where.path(self.options.junit)}")


class XdistSession:
    """On the xdist controller only: hands its session id to the workers, so their files say which run they are."""

    def __init__(self, session: str) -> None:
        self.session = session

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[SESSION_KEY] = self.session
