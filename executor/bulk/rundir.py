"""The run folder of a bulk run and its `run.json`.

`run.json` pins what the run is about: the runbook (and the runbooks its strategy uses) and the
input, each with its sha256, the plan hash, the base URL and the options. `runbook resume` refuses
a run whose runbook or input changed since.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from executor.workspace import new_run_path

RUN_JSON = "run.json"


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class RunInfo:
    runbook: str  # path as given
    runbook_sha256: str
    input: str  # the original input path (absolute)
    input_sha256: str
    base_url: str
    strategy: str
    workers: int
    runbooks: dict[str, str] = field(default_factory=dict)  # other runbooks the strategy uses: path -> sha256
    params: dict[str, Any] = field(default_factory=dict)  # --param values given for every row (redacted)
    sheet: str | None = None  # the .xlsx input's sheet that was read
    plan_hash: str = ""
    login_as: str | None = None
    auth_state: str | None = None
    options: dict[str, Any] = field(default_factory=dict)  # rate limit, breaker, screenshots, ...
    created: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    sessions: int = 1

    def changed_files(self) -> list[str]:
        """What changed since the run started (empty: resume may go on)."""
        problems = []
        checks = {self.runbook: self.runbook_sha256, **self.runbooks}
        for path, digest in checks.items():
            p = Path(path)
            if not p.is_file():
                problems.append(f"{path}: the runbook is gone")
            elif sha256_of(p) != digest:
                problems.append(f"{path}: the runbook changed since the run started")
        source = Path(self.input)
        if source.is_file() and sha256_of(source) != self.input_sha256:
            problems.append(f"{self.input}: the input changed since the run started")
        return problems


@dataclass
class BulkRunDir:
    path: Path

    @classmethod
    def create(cls, name: str, path: Path | None = None) -> BulkRunDir:
        if path is None:
            path = new_run_path(name)
        elif path.exists() and (path / RUN_JSON).exists():
            raise FileExistsError(f"{path} already holds a run: resume it with `runbook resume {path}`")
        path.mkdir(parents=True, exist_ok=True)
        return cls(path)

    # --- files ------------------------------------------------------------------------------------

    @property
    def journal(self) -> Path:
        return self.path / "journal.sqlite"

    @property
    def input_copy(self) -> Path:
        return self.path / "input.csv"

    @property
    def results(self) -> Path:
        return self.path / "results.csv"

    @property
    def report(self) -> Path:
        return self.path / "report.html"

    def row_dir(self, row: int, key: str) -> Path:
        safe = "".join(c if c.isalnum() or c in "@._-" else "_" for c in key)[:60]
        return self.path / "rows" / f"{row:04d}-{safe}"

    def op_dir(self, name: str) -> Path:
        return self.path / "ops" / name

    def write_run(self, info: RunInfo) -> None:
        _write_atomic(self.path / RUN_JSON, json.dumps(asdict(info), indent=2))

    def read_run(self) -> RunInfo:
        data = json.loads((self.path / RUN_JSON).read_text(encoding="utf-8"))
        return RunInfo(**data)

    def has_run(self) -> bool:
        return (self.path / RUN_JSON).is_file()

    def write_plan(self, plan_json: Mapping[str, Any], text: str) -> None:
        _write_atomic(self.path / "plan.json", json.dumps(plan_json, indent=2, ensure_ascii=False))
        _write_atomic(self.path / "plan.txt", text + "\n")

    def read_plan(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.path / "plan.json").read_text(encoding="utf-8"))
        return data

    def lock(self) -> int:
        """An exclusive lock for the process working on this run; raises BlockingIOError if taken."""
        fd = os.open(self.path / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise
        return fd


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
