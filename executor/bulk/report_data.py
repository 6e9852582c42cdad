"""The bulk report's data files, built from the run folder: the journal (rows, operations) or, for
a dry run, `plan.json`; and the events files (`run.log.jsonl`, `run.log.*.jsonl`), read as a
stream.

Browsers refuse `fetch()` of local files (`file://`), so the data are JavaScript files that hand
their content to the page, loaded with `<script>` tags when the page needs them:

    report-data/rows-0001.js        RunbookReport.page("rows", 1, [entry, ...])      PAGE entries
    report-data/rows-steps-0001.js  RunbookReport.detail("rows", 1, [detail, ...])   DETAIL entries
    report-data/rows-keys.js        RunbookReport.keys("rows", [[row, key], ...])    every entry
    report-data/jobs-*.js           the same for the jobs outside rows (logins, reads, purchases,
                                    removals, verifications)

Entries are in display order, attention and failed first (`ledger.ORDER`), so each status is one
range of positions (`Collection.groups`) and the page of position p is p // PAGE + 1.

entry (rows)   {"row", "key", "s" status, "reason", "before", "after", "worker", "attempts",
                "finished" (epoch s), "jobs" count, "retries" step retries, "shot" best screenshot,
                "fstep" the failed step's title}
entry (jobs)   {"job", "rb", "s", "at", "ms", "err", "shot", "fstep"}
detail         {"jobs": [{**job head, **job end, "steps": [step], "retries": [retry]}],
                "ops": [{"id", "kind", "tier", "quantity", "phase", "intent", "outcome", "detail",
                          "verified", "at"}]}           (shapes: report_records)

Memory stays flat at any size: the events go through a scratch SQLite file (compact records keyed
by their entry's position) and come back out sorted, one entry at a time.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from executor.bulk import report_records as rec
from executor.bulk.ledger import ORDER

DATA_DIR = "report-data"
PAGE = 500  # entries per list page: ~150 KB
DETAIL = 50  # entries per detail file: their jobs and steps, ~250 KB (a row with retries: more)
JOB_ORDER = {"failed": 0, "warned": 1, "passed": 2}
# Events the report reads; the rest (StepStarted, RunStarted, the bulk events) are skipped before
# parsing: half the lines of a log.
_WANTED = frozenset(("JobStarted", "StepFinished", "StepRetrying", "JobFinished"))
_EVENT_KEY = '"event": "'


def _name(line: str) -> str:
    """The event's name without parsing the line: the log listener writes it near the end (then
    the level and the time), so the last `"event": "` is the field itself. "" when absent, and a
    line that only looks like a wanted one is parsed and checked anyway."""
    start = line.rfind(_EVENT_KEY)
    if start < 0:
        return "?" if line.strip() else ""  # "?": not JSON as the listener writes it: let json say
    start += len(_EVENT_KEY)
    return line[start : line.find('"', start)]


@dataclass(frozen=True)
class Collection:
    """One list of the page: its size, where each status starts, how it is cut into files."""

    name: str
    total: int
    groups: tuple[tuple[str, int, int], ...]  # (status, first position, count), in display order
    page: int = PAGE
    detail: int = DETAIL

    def as_json(self) -> dict[str, Any]:
        return {"total": self.total, "groups": [list(g) for g in self.groups], "page": self.page, "detail": self.detail}


@dataclass(frozen=True)
class ReportData:
    build: str  # tells one build's files from another's (the page asks for `?v=build`)
    rows: Collection
    jobs: Collection
    events: int  # events read from the log(s)
    bad_lines: int  # lines that are not JSON (a log cut short by a crash)
    files: int
    bytes: int
    sources: tuple[str, ...] = field(default_factory=tuple)
    tries: Mapping[int, int] = field(default_factory=dict)  # row -> jobs run for it, when more than one


def event_files(run_folder: Path) -> list[Path]:
    """The run's events: `run.log.jsonl`, then any `run.log.<name>.jsonl` (one per machine)."""
    main = run_folder / "run.log.jsonl"
    others = sorted(p for p in run_folder.glob("run.log.*.jsonl") if p != main)
    return [p for p in [main, *others] if p.is_file()]


def build_data(run_folder: Path, out_dir: Path, *, journal: Path | None = None) -> ReportData:
    """Write the data files of the run in `run_folder` into `out_dir` (created, must be empty or
    absent). `journal`: default `run_folder/journal.sqlite`; without one, rows come from
    `plan.json` (a dry run). Raises OSError when the folder cannot be read or written."""
    journal = journal if journal is not None else run_folder / "journal.sqlite"
    out_dir.mkdir(parents=True, exist_ok=True)
    build = f"{int(time.time() * 1000):x}"
    # The scratch file sits beside the data (the run folder's disk holds the log already: room).
    with tempfile.TemporaryDirectory(prefix=".report-build-", dir=out_dir.parent) as tmp, closing(
        _scratch(Path(tmp) / "scratch.sqlite")
    ) as db:
        _load_entries(db, run_folder, journal)
        events, bad = _load_events(db, run_folder)
        if journal.is_file():
            _load_ops(db, journal)
        _order_jobs(db)
        writer = _Writer(out_dir)
        tries: dict[int, int] = {}
        rows = _write_collection(db, "rows", writer, tries)
        jobs = _write_collection(db, "jobs", writer, {})
    sources = tuple(p.name for p in event_files(run_folder))
    return ReportData(build, rows, jobs, events, bad, writer.files, writer.bytes, sources, tries)


# --- the scratch database ------------------------------------------------------------------------


def _scratch(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    # A throwaway file: no journal, no fsync; sorting spills to disk rather than to memory.
    db.executescript(
        """
        PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA temp_store = FILE;
        CREATE TABLE entry (coll TEXT, owner INTEGER, pos INTEGER, data TEXT, PRIMARY KEY (coll, owner));
        CREATE TABLE rec (seq INTEGER PRIMARY KEY, coll TEXT, owner INTEGER, kind TEXT, job TEXT, data TEXT,
                          failed TEXT, shot TEXT);  -- a step's facts the list needs: read without parsing it
        CREATE TABLE job (owner INTEGER PRIMARY KEY, job TEXT UNIQUE, status TEXT, at REAL);
        """
    )
    db.execute("BEGIN")
    return db


def _load_entries(db: sqlite3.Connection, run_folder: Path, journal: Path) -> None:
    """The rows, in display order: from the journal, or from the plan of a dry run."""
    if journal.is_file():
        rows: Iterable[dict[str, Any]] = _journal_rows(journal)
    else:
        rows = _plan_rows(run_folder / "plan.json")
    ordered = sorted((ORDER.get(r["s"], 9), r["row"], json.dumps(r, ensure_ascii=False)) for r in rows)
    db.executemany(
        "INSERT INTO entry (coll, owner, pos, data) VALUES ('rows', ?, ?, ?)",
        ((row, pos, data) for pos, (_, row, data) in enumerate(ordered)),
    )


def _journal_rows(path: Path) -> Iterator[dict[str, Any]]:
    # Read-only, so building a report never writes the journal of a run that is going on.
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        cursor = conn.execute(
            "SELECT row, key, status, reason, before, after, worker, attempts, finished FROM rows"
        )
        for row, key, status, reason, before, after, worker, attempts, finished in cursor:
            entry = {"row": row, "key": key, "s": status}
            for name, value in (("reason", reason), ("before", before), ("after", after), ("worker", worker),
                                ("attempts", attempts), ("finished", finished)):  # fmt: skip
                if value not in (None, ""):
                    entry[name] = round(value, 3) if name == "finished" else value
            yield entry


def _plan_rows(path: Path) -> Iterator[dict[str, Any]]:
    """A dry run has no journal: each row shows what the plan says it would do."""
    if not path.is_file():
        return
    plan = json.loads(path.read_text(encoding="utf-8"))
    status = {"unchanged": "unchanged", "fail": "failed"}
    for r in plan.get("rows", ()):
        yield {"row": r["row"], "key": r["key"], "s": status.get(r.get("action"), "planned"), "reason": r.get("text", "")}


def _load_events(db: sqlite3.Connection, run_folder: Path) -> tuple[int, int]:
    """Every job's events as compact records, keyed by the row the job belongs to (its folder is
    under rows/) or by the job itself (the others). Returns (events read, unreadable lines)."""
    paths = rec.Paths(run_folder)
    route: dict[str, tuple[str, int, str]] = {}  # job id -> (collection, owner, job folder)
    events = bad = 0
    insert = "INSERT INTO rec (coll, owner, kind, job, data) VALUES (?, ?, ?, ?, ?)"
    for e in _events(event_files(run_folder)):
        if e is None:
            bad += 1
            continue
        events += 1
        kind, job_id = e["event"], e.get("job_id", "")
        if kind == "JobStarted":
            route[job_id] = _route(db, e, paths)
            coll, owner, folder = route[job_id]
            head = rec.job_head(e, paths)
            db.execute(insert, (coll, owner, "head", job_id, _dumps(head)))
            continue
        if job_id not in route:
            continue  # a job whose start is not in the log (cut by a crash): nothing to hang it on
        coll, owner, folder = route[job_id]
        if kind == "StepFinished":
            step = rec.step(e, paths, folder)
            failed = f"{step['id']} {step['t']}" if step["s"] == "failed" else None
            shot = step["img"][-1][0] if step.get("img") else None
            db.execute(
                "INSERT INTO rec (coll, owner, kind, job, data, failed, shot) VALUES (?, ?, 'step', ?, ?, ?, ?)",
                (coll, owner, job_id, _dumps(step), failed, shot),
            )
        elif kind == "StepRetrying":
            db.execute(insert, (coll, owner, "retry", job_id, _dumps(rec.retry(e))))
        elif kind == "JobFinished":
            db.execute(insert, (coll, owner, "end", job_id, _dumps(rec.job_end(e, paths))))
            if coll == "jobs":
                db.execute("UPDATE job SET status = ? WHERE owner = ?", (e.get("status", "failed"), owner))
    return events, bad


def _route(db: sqlite3.Connection, e: Mapping[str, Any], paths: rec.Paths) -> tuple[str, int, str]:
    folder = paths.relative(e["artifacts_dir"]) if e.get("artifacts_dir") else ""
    row = paths.row_of(e["artifacts_dir"]) if e.get("artifacts_dir") else None
    if row is not None and db.execute("SELECT 1 FROM entry WHERE coll = 'rows' AND owner = ?", (row,)).fetchone():
        return "rows", row, folder
    # A job never finished is a failed one (as in the single-run report), until its end says otherwise.
    cursor = db.execute(
        "INSERT INTO job (job, status, at) VALUES (?, 'failed', ?) ON CONFLICT (job) DO UPDATE SET at = at"
        " RETURNING owner",
        (e.get("job_id", ""), float(e.get("at") or 0)),
    )
    return "jobs", int(cursor.fetchone()[0]), folder


def _events(files: Sequence[Path]) -> Iterator[dict[str, Any] | None]:
    """The events the report reads, one at a time; None for a line that is not JSON."""
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as fh:
            yield from _lines(fh)


def _lines(fh: TextIO) -> Iterator[dict[str, Any] | None]:
    for line in fh:
        name = _name(line)
        if name not in _WANTED and name != "?":
            continue
        try:
            e = json.loads(_without_step_model(line))
        except ValueError:
            try:
                e = json.loads(line)
            except ValueError:
                yield None
                continue
        if isinstance(e, dict) and e.get("event") in _WANTED:
            yield e


def _without_step_model(line: str) -> str:
    """A StepFinished line without its `step` field (the evaluated step model: half the line, never
    shown), so parsing it costs half. Fields before `step` are strings and lists of strings, so
    the first `"step": {` is the field itself (a quote inside a string is escaped); it ends where
    `"timings"` (the next field) starts. Any surprise gives a line that does not parse, and the
    caller parses the whole line instead."""
    start = line.find('"step": {')
    if start < 0:
        return line
    end = line.find(', "timings": {', start)
    if end < 0:
        return line
    return line[:start] + '"step": null' + line[end:]


def _load_ops(db: sqlite3.Connection, journal: Path) -> None:
    """Each row's operations (intent and outcome): what was about to happen, and whether it did."""
    with closing(sqlite3.connect(f"file:{journal}?mode=ro", uri=True)) as conn:
        cursor = conn.execute(
            "SELECT id, kind, row, tier, quantity, phase, intent, outcome, outcome_detail, verified, intent_at"
            " FROM ops WHERE row IS NOT NULL ORDER BY id"
        )
        for op_id, kind, row, tier, quantity, phase, intent, outcome, detail, verified, at in cursor:
            op = {"id": op_id, "kind": kind, "intent": json.loads(intent), "outcome": outcome or "unknown",
                  "at": round(at, 3)}  # fmt: skip
            for name, value in (("tier", tier), ("quantity", quantity), ("phase", phase), ("detail", detail)):
                if value not in (None, ""):
                    op[name] = value
            if verified:
                op["verified"] = True
            db.execute(
                "INSERT INTO rec (coll, owner, kind, job, data) VALUES ('rows', ?, 'op', '', ?)", (row, _dumps(op))
            )


def _order_jobs(db: sqlite3.Connection) -> None:
    """The jobs outside rows, failed first, then in the order they started."""
    ranks = " ".join(f"WHEN '{s}' THEN {n}" for s, n in JOB_ORDER.items())
    ordered = db.execute(f"SELECT owner, job, status, at FROM job ORDER BY CASE status {ranks} ELSE 9 END, owner")
    rows = [(owner, pos, json.dumps({"job": job, "s": status, "at": round(at, 3)})) for pos, (owner, job, status, at)
            in enumerate(ordered.fetchall())]  # fmt: skip
    db.executemany("INSERT INTO entry (coll, owner, pos, data) VALUES ('jobs', ?, ?, ?)", rows)


# --- writing the files ---------------------------------------------------------------------------


class _Writer:
    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.files = 0
        self.bytes = 0

    def write(self, name: str, call: str, *args: Any) -> None:
        self._put(name, f"RunbookReport.{call}({','.join(_dumps(a) for a in args)});\n")

    def write_raw(self, name: str, call: str, coll: str, number: int, items: Sequence[str]) -> None:
        """`items` are JSON texts already."""
        self._put(name, f"RunbookReport.{call}({_dumps(coll)},{number},[{','.join(items)}]);\n")

    def _put(self, name: str, text: str) -> None:
        data = text.encode("utf-8")
        (self.out_dir / name).write_bytes(data)
        self.files += 1
        self.bytes += len(data)


def _write_collection(db: sqlite3.Connection, coll: str, writer: _Writer, tries: dict[int, int]) -> Collection:
    """Every entry of `coll` in display order, its list page, detail file and key. `tries` gets
    the rows that ran more than one job. Step records are spliced into the detail files as the
    JSON text they were stored as: parsing them again would double the build's time."""
    db.execute("CREATE INDEX IF NOT EXISTS rec_owner ON rec (coll, owner, seq)")
    entries = db.execute("SELECT owner, pos, data FROM entry WHERE coll = ? ORDER BY pos", (coll,))
    records = db.execute(
        "SELECT e.pos, r.kind, r.job, r.data, r.failed, r.shot FROM rec r"
        " JOIN entry e ON e.coll = r.coll AND e.owner = r.owner WHERE r.coll = ? ORDER BY e.pos, r.seq",
        (coll,),
    )
    grouped = _by_position(records)
    page: list[dict[str, Any]] = []
    detail: list[str] = []
    keys: list[list[Any]] = []
    groups: list[tuple[str, int, int]] = []
    pending = next(grouped, None)
    total = 0
    for _owner, pos, data in entries:
        entry = json.loads(data)
        jobs: list[_Job] = []
        ops: list[str] = []
        if pending is not None and pending[0] == pos:
            jobs, ops = pending[1], pending[2]
            pending = next(grouped, None)
        _summarize(entry, jobs)
        if entry.get("jobs", 0) > 1:
            tries[entry["row"]] = entry["jobs"]
        page.append(entry)
        detail.append(
            '{"jobs":[' + ",".join(j.json() for j in jobs) + "]" + (',"ops":[' + ",".join(ops) + "]" if ops else "") + "}"
        )
        keys.append([entry["row"], entry["key"]] if coll == "rows" else [entry.get("rb", ""), entry["job"]])
        if groups and groups[-1][0] == entry["s"]:
            status, start, count = groups[-1]
            groups[-1] = (status, start, count + 1)
        else:
            groups.append((entry["s"], pos, 1))
        total = pos + 1
        if len(page) == PAGE:
            writer.write(f"{coll}-{pos // PAGE + 1:04d}.js", "page", coll, pos // PAGE + 1, page)
            page = []
        if len(detail) == DETAIL:
            writer.write_raw(f"{coll}-steps-{pos // DETAIL + 1:04d}.js", "detail", coll, pos // DETAIL + 1, detail)
            detail = []
    if page:
        writer.write(f"{coll}-{(total - 1) // PAGE + 1:04d}.js", "page", coll, (total - 1) // PAGE + 1, page)
    if detail:
        number = (total - 1) // DETAIL + 1
        writer.write_raw(f"{coll}-steps-{number:04d}.js", "detail", coll, number, detail)
    writer.write(f"{coll}-keys.js", "keys", coll, keys)
    return Collection(coll, total, tuple(groups), PAGE, DETAIL)


@dataclass
class _Job:
    """One job of an entry as the sweep gathers it: its head and end (parsed: small), its steps as
    stored JSON text, and the facts of each step the list needs (failed step, screenshot)."""

    job: str
    fields: dict[str, Any] = field(default_factory=dict)
    steps: list[str] = field(default_factory=list)
    facts: list[tuple[str | None, str | None]] = field(default_factory=list)  # (failed "id title", shot)
    retries: list[dict[str, Any]] = field(default_factory=list)

    def json(self) -> str:
        fields = {"job": self.job, **self.fields}
        if self.retries:
            fields["retries"] = self.retries
        head = _dumps(fields)
        return head[:-1] + ',"steps":[' + ",".join(self.steps) + "]}"


def _by_position(records: Iterable[tuple[int, str, str, str, str | None, str | None]]) -> Iterator[tuple[int, list[_Job], list[str]]]:
    """(position, its jobs in the order they started, its operations as JSON), one at a time."""
    current: int | None = None
    jobs: dict[str, _Job] = {}
    ops: list[str] = []
    for pos, kind, job_id, data, failed, shot in records:
        if pos != current:
            if current is not None:
                yield current, list(jobs.values()), ops
            current, jobs, ops = pos, {}, []
        if kind == "op":
            ops.append(data)
            continue
        job = jobs.get(job_id)
        if job is None:
            job = jobs[job_id] = _Job(job_id)
        if kind in ("head", "end"):
            job.fields.update(json.loads(data))
        elif kind == "step":
            job.steps.append(data)
            job.facts.append((failed, shot))
        elif kind == "retry":
            job.retries.append(json.loads(data))
    if current is not None:
        yield current, list(jobs.values()), ops


def _summarize(entry: dict[str, Any], jobs: Sequence[_Job]) -> None:
    """What the list shows of an entry's jobs: how many, the retries, the telling screenshot and
    the step that failed (of the last job: the one that decided the row)."""
    if not jobs:
        return
    last = jobs[-1]
    if "row" in entry:
        entry["jobs"] = len(jobs)
        retries = sum(len(j.retries) for j in jobs)
        if retries:
            entry["retries"] = retries
    else:
        entry.update({k: last.fields[k] for k in ("rb", "ms", "err") if last.fields.get(k)})
    shot = rec.best_shot(last.facts, last.fields.get("dir", ""))
    if shot:
        entry["shot"] = shot
    failed = next((f for f, _ in last.facts if f), None)
    if failed is not None and last.fields.get("s") != "passed":
        entry["fstep"] = failed


def _dumps(value: Any) -> str:
    # U+2028/2029 end a line in older JavaScript parsers; escaped, the files parse everywhere.
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    if "\u2028" in text or "\u2029" in text:
        text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return text


def replace_dir(new: Path, target: Path) -> None:
    """Put a freshly built data folder in place of the old one (a rebuild while the page is open
    swaps whole folders: no mix of two builds' files)."""
    old = target.with_name(f"{target.name}.old-{os.getpid()}")
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    if old.exists():
        shutil.rmtree(old)
