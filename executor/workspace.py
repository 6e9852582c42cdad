"""Where a run's inputs come from and where its evidence goes.

`Workspace`: the runbooks folder (with `_shared/`) and the selector catalogue, loaded once.
`RunDirectory`: one folder per run (`runs/<time>-<name>/`) with the listeners that write into it:
the HTML report, the JSON log, JUnit XML. Kept apart from pytest-playwright's `--output`, which
that plugin wipes at the start of every session.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from executor.events import Bus
from executor.listeners.console import ConsoleListener
from executor.listeners.html_report import HtmlReportListener
from executor.listeners.junit import JUnitListener
from executor.listeners.log_file import LogFileListener
from executor.load.catalogue_loader import load_catalogue
from executor.load.runbook_loader import load_runbook, shared_path
from executor.model.catalogue import Catalogue
from executor.model.plan import Plan
from executor.model.runbook import Runbook
from executor.plan import build_plan
from executor.redaction import Redactor

DEFAULT_RUNS = Path("runs")
LOGIN_RUNBOOK = "_shared/login.yaml"


def project_root() -> Path:
    """The folder holding runbooks/ and selectors/: the current one, else the source checkout."""
    here = Path.cwd()
    if (here / "runbooks").is_dir() and (here / "selectors").is_dir():
        return Path()  # relative, so reports and messages say runbooks/x.yaml:12, not a long absolute path
    return Path(__file__).resolve().parent.parent


@dataclass
class Workspace:
    runbooks_root: Path
    catalogue: Catalogue
    _cache: dict[Path, Runbook] = field(default_factory=dict)

    @classmethod
    def open(cls, runbooks_root: Path | None = None, selectors: Path | None = None) -> Workspace:
        root = project_root()
        runbooks_root = runbooks_root or root / "runbooks"
        selectors = selectors or (runbooks_root.parent / "selectors")
        return cls(runbooks_root=runbooks_root, catalogue=load_catalogue(selectors))

    def runbook(self, path: Path | str) -> Runbook:
        path = Path(path)
        if not path.is_absolute() and not path.exists():
            path = self.runbooks_root / path
        if path not in self._cache:
            self._cache[path] = load_runbook(path, self.catalogue, runbooks_root=self.runbooks_root)
        return self._cache[path]

    def plan(self, runbook: Runbook | Path | str, params: dict[str, Any]) -> Plan:
        rb = runbook if isinstance(runbook, Runbook) else self.runbook(runbook)
        return build_plan(
            rb, params, catalogue=self.catalogue, runbooks_root=self.runbooks_root, env=os.environ
        )

    def used_files(self, runbook: Runbook) -> list[Path]:
        """Every runbook file `runbook` reaches through `use` steps, at any depth (not itself)."""
        found: dict[Path, None] = {}
        todo = [runbook]
        while todo:
            for step in todo.pop().steps:
                if step.action != "use":
                    continue
                name = step.args.runbook  # type: ignore[union-attr]  # a `use` step's args
                path = shared_path(self.runbooks_root, name)
                if path not in found:
                    found[path] = None
                    todo.append(self.runbook(path))
        return list(found)

    def login_plan(self, email: str | None) -> Plan:
        return self.plan(LOGIN_RUNBOOK, {"email": email} if email else {})


def new_run_path(name: str) -> Path:
    """`runs/<date>-<time>-<name>`, with `-2`, `-3`... when runs start within the same second."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = DEFAULT_RUNS / f"{stamp}-{name}"
    n = 1
    while path.exists():
        n += 1
        path = DEFAULT_RUNS / f"{stamp}-{name}-{n}"
    return path


@dataclass
class RunDirectory:
    path: Path
    bus: Bus
    report: HtmlReportListener
    junit: JUnitListener
    log: LogFileListener

    @classmethod
    def create(
        cls,
        name: str,
        *,
        path: Path | None = None,
        redactor: Redactor,
        console: bool = True,
        quiet: bool = False,
        title: str | None = None,
    ) -> RunDirectory:
        if path is None:
            path = new_run_path(name)
        path.mkdir(parents=True, exist_ok=True)
        bus = Bus()
        report = HtmlReportListener(path / "report.html", title=title or f"Runbook report: {name}")
        junit = JUnitListener(path / "junit.xml", suite_name=name)
        log = LogFileListener(path / "run.log.jsonl", redactor)
        for listener in (report, junit, log):
            bus.subscribe(listener)
        if console:
            bus.subscribe(ConsoleListener(quiet=quiet))
        return cls(path=path, bus=bus, report=report, junit=junit, log=log)

    def close(self) -> None:
        self.report.write()
        self.junit.write()
        self.log.close()


def write_private(path: Path, data: str) -> None:
    """Write a file only its owner can read (auth state holds session cookies)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(data)
    os.chmod(path, 0o600)  # an existing file keeps its old mode through O_CREAT
