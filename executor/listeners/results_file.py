"""A process's machine-readable results: `runbook-results.jsonl`, one per pytest process that runs examples.

Every pytest-xdist worker, and every shard, writes its own file in its own artifacts folder (never
under pytest-playwright's `--output`, which it wipes). `runbook report merge` and the xdist
controller read them back (`read_results`) into one HTML report and one JUnit XML.

One JSON object per line, each with a `record` key:

    {"record": "header", "format": "portal-runbooks/results", "version": 1, "session": "…",
     "process": "gw0", "ci_run": "…", "started_at": 1.7e9, "host": "…", "rootdir": "/…",
     "shard": {"index": 1, "count": 2, "plugin": "pytest-split"} | null,
     "suite": {"items": 12, "sha256": "…"}, "base_url": "…", "browser": "…"}
    {"record": "event", "event": "StepFinished", …}          # executor.events.to_dict, paths relative
    {"record": "item", "nodeid": "runbooks/x.yaml::ex[2026]", "outcome": "passed", …}   # ItemResult
    {"record": "end", "finished_at": 1.7e9}

Why JSON lines, written and flushed a line at a time: a worker that dies mid-run still leaves every
finished example readable (the file then has no `end`, and the merge says so). Why relative paths:
an artifact path is relative to the file's own folder (`check_license.pro_user.2026/003-x.jpg`), so
a shard's folder copied from another CI machine still points at its evidence. Why not the JSON log's
structlog pipeline (`LogFileListener`): this is a data file read back record by record, not a log
for people and shippers; events are redacted before they are emitted either way.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from executor.events import (
    Artifact,
    Event,
    EventDecodeError,
    JobFinished,
    JobStarted,
    RunStarted,
    StepFinished,
)
from executor.events import from_dict as event_from_dict
from executor.events import to_dict as event_to_dict

RESULTS_NAME = "runbook-results.jsonl"
FORMAT = "portal-runbooks/results"
VERSION = 1

Outcome = Literal["passed", "failed", "skipped"]


class ResultsFileError(ValueError):
    """A results file that cannot be read: `str()` is `file:line: message`, `hint` says what to do."""

    def __init__(self, path: Path, line: int, message: str, hint: str = "") -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.message, self.hint = path, line, message, hint


@dataclass(frozen=True)
class Shard:
    """Which part of a sharded run this process ran (1-based, as pytest-split's `--group`)."""

    index: int
    count: int
    plugin: str  # pytest-split, pytest-shard

    def describe(self) -> str:
        return f"shard {self.index}/{self.count}"


@dataclass(frozen=True)
class Header:
    session: str  # one pytest invocation: its xdist workers share it, two shards never do
    process: str  # the xdist worker (gw0) or "main"
    started_at: float
    suite_items: int  # runbook items collected before any selection (-k, a shard): the same in every shard
    suite_sha256: str  # of their sorted ids: shards of one run collected the same suite
    shard: Shard | None = None
    ci_run: str = ""  # the CI's run id, when one is known (RUNBOOK_RUN_ID, GITHUB_RUN_ID, ...)
    host: str = ""
    rootdir: str = ""
    base_url: str = ""
    browser: str = ""  # "chromium (local)" or a remote endpoint without its secret path

    def describe(self) -> str:
        """`shard 1/2, gw0` / `gw0` / `main`: which process this was, for messages."""
        parts = [self.shard.describe()] if self.shard else []
        return ", ".join([*parts, self.process])


@dataclass(frozen=True)
class ItemResult:
    """One pytest item (an example in a dialect) and its outcome. Paths are relative to the file."""

    nodeid: str  # runbooks/check_license.yaml::pro_user[2026]
    name: str  # pro_user[2026]
    path: str  # the runbook file, as pytest shows it: runbooks/check_license.yaml
    runbook: str
    outcome: Outcome
    duration_s: float  # setup + call + teardown
    started_at: float = 0.0
    phase: str = ""  # where it failed (setup, call, teardown)
    expected: str = "passed"  # the example's own `outcome:`
    dialect: str | None = None
    jobs: tuple[str, ...] = ()  # its jobs in the events (the login's, when it failed, then the example's)
    message: str = ""  # the failure's first line, or the skip reason
    longrepr: str = ""  # the failure as pytest shows it
    skip_reason: str | None = None
    folder: str | None = None  # the example's evidence folder
    screenshot: str | None = None  # the failed step's picture
    trace: str | None = None
    videos: tuple[str, ...] = ()

    @property
    def classname(self) -> str:
        """`runbooks.check_license`: the runbook file's path, dotted (unique per file)."""
        return str(Path(self.path).with_suffix("")).replace(os.sep, ".").replace("/", ".")


@dataclass
class Results:
    """A results file, read back. Paths in `events` and `items` are absolute (resolved from the file's folder)."""

    path: Path
    header: Header
    events: list[Event] = field(default_factory=list)
    items: list[ItemResult] = field(default_factory=list)
    finished_at: float | None = None  # None: the process did not finish (crashed, killed)

    @property
    def folder(self) -> Path:
        return self.path.parent


# --- paths ---------------------------------------------------------------------------------------


def _relative(base: Path) -> Callable[[str], str]:
    def to(path: str) -> str:
        if not path or not os.path.isabs(path):
            return path
        try:
            return Path(path).resolve().relative_to(base).as_posix()
        except ValueError:
            return path  # outside the folder: kept absolute (not portable, but never wrong here)

    return to


def _absolute(base: Path) -> Callable[[str], str]:
    def to(path: str) -> str:
        return path if not path or os.path.isabs(path) else str(base / path)

    return to


def map_event_paths(event: Event, to: Callable[[str], str]) -> Event:
    """A copy of `event` with every artifact path and folder passed through `to`."""

    def artifacts(items: tuple[Artifact, ...]) -> tuple[Artifact, ...]:
        return tuple(dataclasses.replace(a, path=to(a.path)) for a in items)

    if isinstance(event, StepFinished) and event.artifacts:
        return dataclasses.replace(event, artifacts=artifacts(event.artifacts))
    if isinstance(event, JobFinished):
        return dataclasses.replace(
            event, artifacts=artifacts(event.artifacts), artifacts_dir=to(event.artifacts_dir)
        )
    if isinstance(event, (RunStarted, JobStarted)):
        return dataclasses.replace(event, artifacts_dir=to(event.artifacts_dir))
    return event


def map_item_paths(item: ItemResult, to: Callable[[str], str]) -> ItemResult:
    def one(path: str | None) -> str | None:
        return None if path is None else to(path)

    return dataclasses.replace(
        item,
        folder=one(item.folder),
        screenshot=one(item.screenshot),
        trace=one(item.trace),
        videos=tuple(to(v) for v in item.videos),
    )


# --- writing -------------------------------------------------------------------------------------


class ResultsWriter:
    """Appends records to one results file; the header is written when the first record comes.

    A bus listener (`on_event`) as well: events land with their paths made relative.
    """

    def __init__(self, path: Path, header: Callable[[], Header]) -> None:
        self.path = path
        self._header = header  # called once, at the first record: by then collection is over
        self._stream: IO[str] | None = None
        self._relative = _relative(path.parent.resolve())

    @property
    def started(self) -> bool:
        return self._stream is not None

    def _write(self, record: Mapping[str, Any]) -> None:
        if self._stream is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._stream = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()
            header = {
                "record": "header",
                "format": FORMAT,
                "version": VERSION,
                **dataclasses.asdict(self._header()),
            }
            self._stream.write(json.dumps(header) + "\n")
        self._stream.write(json.dumps(record, default=str) + "\n")
        self._stream.flush()  # a crash loses at most the line being written

    def on_event(self, event: Event) -> None:
        self._write({"record": "event", **event_to_dict(map_event_paths(event, self._relative))})

    def item(self, result: ItemResult) -> None:
        self._write({"record": "item", **dataclasses.asdict(map_item_paths(result, self._relative))})

    def close(self, finished_at: float) -> None:
        if self._stream is not None and not self._stream.closed:
            self._write({"record": "end", "finished_at": finished_at})
            self._stream.close()


# --- reading -------------------------------------------------------------------------------------

_HINT = "a results file is written by the pytest plugin (runbook-results.jsonl in --runbook-artifacts): run it again"


def _dataclass_from(cls: type[Any], data: Mapping[str, Any], path: Path, line: int, what: str) -> Any:
    known = {f.name for f in dataclasses.fields(cls)}
    try:
        return cls(**{k: v for k, v in data.items() if k in known})
    except TypeError as err:
        raise ResultsFileError(path, line, f"{what} is incomplete ({err})", _HINT) from None


def _header(data: Mapping[str, Any], path: Path) -> Header:
    if data.get("record") != "header" or data.get("format") != FORMAT:
        raise ResultsFileError(
            path,
            1,
            "not a runbook results file (its first line is no results header)",
            f"merge the folders the pytest plugin wrote (--runbook-artifacts); {_HINT}",
        )
    version = data.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise ResultsFileError(
            path,
            1,
            f"results format version {version!r}: this version of portal-runbooks reads up to {VERSION}",
            "merge with the version of portal-runbooks that ran the tests (or a newer one)",
        )
    shard = data.get("shard")
    fields = {**data, "shard": Shard(**shard) if isinstance(shard, Mapping) else None}
    return _dataclass_from(Header, fields, path, 1, "the header")  # type: ignore[no-any-return]


def read_results(path: Path) -> Results:
    """Raises ResultsFileError (`file:line: message`): unreadable, not a results file, a newer
    format, a line that is not JSON or not a record. A last line cut short (the process died
    while writing it) is dropped: the results are then incomplete, `finished_at` is None."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ResultsFileError(path, 0, f"cannot read it: {err}", _HINT) from None
    lines = text.split("\n")
    cut_short = bool(lines) and lines[-1] != ""  # a complete file ends with a newline
    results: Results | None = None
    absolute = _absolute(path.parent.resolve())
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as err:
            if cut_short and number == len(lines):
                break
            raise ResultsFileError(
                path, number, f"not JSON ({err.msg} at column {err.colno})", _HINT
            ) from None
        if not isinstance(data, dict):
            raise ResultsFileError(path, number, "not a record (a JSON object)", _HINT)
        if results is None:
            results = Results(path, _header(data, path))
            continue
        kind = data.pop("record", None)
        if kind == "event":
            try:
                event = event_from_dict(data)
            except EventDecodeError as err:
                raise ResultsFileError(path, number, f"an event record: {err}", _HINT) from None
            results.events.append(map_event_paths(event, absolute))
        elif kind == "item":
            data["jobs"] = tuple(data.get("jobs") or ())
            data["videos"] = tuple(data.get("videos") or ())
            item = _dataclass_from(ItemResult, data, path, number, "an item record")
            if item.outcome not in ("passed", "failed", "skipped"):
                raise ResultsFileError(path, number, f"an item's outcome is {item.outcome!r}", _HINT)
            results.items.append(map_item_paths(item, absolute))
        elif kind == "end":
            results.finished_at = float(data.get("finished_at") or 0.0)
        # else: a record of a newer writer: skipped, as from_dict skips unknown keys
    if results is None:
        raise ResultsFileError(path, 1, "the file is empty", _HINT)
    return results
