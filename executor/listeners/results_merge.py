"""Many results files (xdist workers, shards from other machines) into one HTML report and one JUnit XML.

The rules, what a person merging folders expects:
- every item once: an item found in two files is an error, whatever the files (two runs of the
  same examples, a shard given twice, shards that split the suite differently), with the cause
  and both files named. Within one file the last result of an item wins (a rerun plugin);
- the same file reached twice (a folder named twice, or inside another one named) counts once;
  two copies of one process's results (the same session and worker, two paths) are an error;
- shards must be shards of one run: the same number of shards, the same collected suite (its
  items' fingerprint) and, when the CI's run id is known, the same CI run. A missing shard, or a
  process that did not finish, is a warning printed and shown in the report, not an error;
- results of separate unsharded runs merge when they hold different items (`pytest a.yaml`,
  then `pytest b.yaml`): the user named them; the report says how many runs it holds.

Evidence: `place_evidence` hard-links (or copies, across file systems) every artifact that is not
already under the output folder into `<output>/evidence/<process>/`, so the merged folder stands
alone (a CI job publishes it whole; the shard folders it came from may be temporary downloads),
at no disk cost on one file system. Symbolic or relative links out of the folder would break as
soon as the inputs are deleted or the folder is moved.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from executor.events import Event, JobFinished, JobStatus, RunFinished, RunStarted
from executor.listeners.collect import collect
from executor.listeners.html_report import render_html
from executor.listeners.junit import render_items_junit
from executor.listeners.results_file import (
    RESULTS_NAME,
    ItemResult,
    Results,
    map_event_paths,
    map_item_paths,
    read_results,
)

EVIDENCE_DIR = "evidence"
TITLE = "Runbook examples"


class MergeError(ValueError):
    """Inputs that cannot make one report: `str()` says what, `hint` what to do."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


# --- finding and reading ------------------------------------------------------------------------


def find_results(inputs: Sequence[Path]) -> list[Path]:
    """Every results file in `inputs` (folders, searched recursively, or files), each once, in a
    stable order. (A merge's output holds none: it may be one of the inputs, or inside one.)

    Raises MergeError: an input that does not exist, a folder without any results file."""
    found: dict[Path, Path] = {}  # resolved -> as shown (the way the user named it)
    for given in inputs:
        if given.is_file():
            found.setdefault(given.resolve(), given)
            continue
        if not given.is_dir():
            raise MergeError(
                f"{given}: no such folder or file",
                "give the folders the pytest runs wrote (--runbook-artifacts)",
            )
        here = sorted(given.rglob(RESULTS_NAME))
        if not here:
            raise MergeError(
                f"{given}: no runbook results ({RESULTS_NAME}) in it",
                "give the --runbook-artifacts folder of a pytest run over runbooks (default reports/runbooks), "
                "as copied from each shard",
            )
        for path in here:
            found.setdefault(path.resolve(), path)
    return list(found.values())


def read_all(paths: Iterable[Path]) -> list[Results]:
    """Raises ResultsFileError for the first file that cannot be read."""
    return [read_results(p) for p in paths]


# --- the rules ----------------------------------------------------------------------------------


@dataclass
class Merged:
    results: list[Results]
    items: list[ItemResult]  # each once, ordered by node id
    events: list[Event]  # the jobs' events, without the processes' own RunStarted/RunFinished
    warnings: list[str] = field(default_factory=list)
    origin: dict[str, Results] = field(default_factory=dict)  # node id -> the file it came from

    @property
    def counts(self) -> Counter[str]:
        return Counter(i.outcome for i in self.items)

    @property
    def status(self) -> JobStatus:
        return "failed" if self.counts["failed"] else "passed"

    def summary(self) -> str:
        """`4 items: 3 passed, 1 skipped (2 processes)`."""
        counts = ", ".join(f"{n} {o}" for o, n in sorted(self.counts.items()))
        processes = len(self.results)
        return f"{len(self.items)} item{'s' if len(self.items) != 1 else ''}: {counts or 'none'} " + (
            f"({processes} process{'es' if processes != 1 else ''})"
        )


def _when(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at))


def _run_of(r: Results) -> str:
    h = r.header
    return f"{r.path} ({h.describe()}, started {_when(h.started_at)} on {h.host or 'an unknown host'})"


def _duplicate(nodeid: str, first: Results, second: Results, more: int) -> MergeError:
    a, b = first.header, second.header
    if a.shard and b.shard and a.shard.index == b.shard.index:
        hint = (
            f"{a.shard.describe()} is given twice (two runs of it): keep one of the two folders "
            "(a shard run again replaces the earlier one)"
        )
    elif a.shard and b.shard and a.session != b.session:
        hint = (
            "the shards split the suite differently: every shard must see the same tests and the same "
            "durations file (pytest-split's .test_durations, --durations-path)"
        )
    else:
        hint = "these are two runs of the same examples: merge the results of one run (each shard of it once)"
    others = f" (and {more} more item{'s' if more != 1 else ''} in both)" if more else ""
    return MergeError(
        f"{nodeid}: a result in two runs{others}:\n  {_run_of(first)}\n  {_run_of(second)}", hint
    )


def _check_shards(results: list[Results]) -> list[str]:
    sessions = {r.header.session: r.header for r in results}
    sharded = [h for h in sessions.values() if h.shard]
    if not sharded:
        many = len(sessions) > 1
        return [f"results of {len(sessions)} separate runs merged (not shards of one run)"] if many else []
    first = sharded[0]
    assert first.shard is not None
    for other in sharded[1:]:
        assert other.shard is not None
        problem = None
        if other.shard.count != first.shard.count:
            problem = f"one run has {first.shard.count} shards, the other {other.shard.count}"
        elif other.suite_sha256 != first.suite_sha256:
            problem = (
                f"they collected different suites ({first.suite_items} and {other.suite_items} items; "
                "another commit, or other options)"
            )
        elif first.ci_run and other.ci_run and first.ci_run != other.ci_run:
            problem = f"they ran in different CI runs ({first.ci_run} and {other.ci_run})"
        if problem:
            raise MergeError(
                f"{first.shard.describe()} and {other.shard.describe()} are not shards of one run: {problem}",
                "merge the shards of one CI run (same commit, same options, same --splits)",
            )
    warnings = []
    present = {h.shard.index for h in sharded if h.shard}
    missing = [i for i in range(1, first.shard.count + 1) if i not in present]
    if missing:
        shown = ", ".join(f"{i}/{first.shard.count}" for i in missing)
        warnings.append(
            f"shard{'s' if len(missing) > 1 else ''} {shown} missing: the report holds "
            f"{len(present)} of {first.shard.count} shards"
        )
    if len(sharded) < len(sessions):
        warnings.append(f"{len(sessions) - len(sharded)} unsharded run(s) merged with the shards")
    return warnings


def merge(results: list[Results]) -> Merged:
    """One view of every file's items and jobs. Raises MergeError (the rules above)."""
    by_process: dict[tuple[str, str], Results] = {}
    for r in results:
        key = (r.header.session, r.header.process)
        if key in by_process:
            raise MergeError(
                f"{by_process[key].path} and {r.path} are the same results ({r.header.describe()} of one run)",
                "a folder was given twice, or copied into another one given: give each once",
            )
        by_process[key] = r
    warnings = _check_shards(results)
    origin: dict[str, Results] = {}
    items: dict[str, ItemResult] = {}
    duplicates: list[tuple[str, Results, Results]] = []
    for r in results:
        mine = {i.nodeid: i for i in r.items}  # the last result of an item in one file wins
        for nodeid, item in mine.items():
            if nodeid in origin:
                duplicates.append((nodeid, origin[nodeid], r))
                continue
            origin[nodeid] = r
            items[nodeid] = item
        if r.finished_at is None:
            warnings.append(
                f"{r.path}: the process ({r.header.describe()}) did not finish: its last examples may be missing"
            )
    if duplicates:
        nodeid, first, second = duplicates[0]
        raise _duplicate(nodeid, first, second, len(duplicates) - 1)
    events = [e for r in results for e in r.events if not isinstance(e, (RunStarted, RunFinished))]
    ordered = [items[k] for k in sorted(items)]
    return Merged(results, ordered, events, warnings, origin)


# --- evidence -----------------------------------------------------------------------------------


def _label(r: Results, taken: set[str]) -> str:
    h = r.header
    base = f"shard{h.shard.index}-{h.process}" if h.shard else h.process
    label, n = base, 2
    while label in taken:
        label, n = f"{base}-{n}", n + 1
    taken.add(label)
    return label


def _place(source: Path, target: Path) -> bool:
    """Hard link, else copy; False when the source is not there."""
    if not source.exists():
        return False
    if source.is_dir():
        for child in source.rglob("*"):
            if child.is_file():
                _place(child, target / child.relative_to(source))
        return True
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() or target.is_symlink():
        if target.exists() and os.path.samefile(target, source):
            return True  # linked already (an example folder, then an artifact in it)
        target.unlink()
    try:
        os.link(source, target)
    except OSError:  # another file system, or links not allowed: a copy
        shutil.copy2(source, target)
    return True


def place_evidence(merged: Merged, output: Path) -> Merged:
    """A copy of `merged` whose artifact paths are all under `output`: files already there stay;
    the others are linked into `<output>/evidence/<process>/` (each example folder whole, then any
    artifact outside one). Missing files are a warning (a folder copied without its evidence)."""
    output = output.resolve()
    taken: set[str] = set()
    moved: dict[Path, str] = {}  # results folder -> its evidence folder
    missing: list[str] = []
    placed: dict[str, str] = {}

    def to(r: Results, path: str) -> str:
        if not path:
            return path
        source = Path(path)
        if source.resolve().is_relative_to(output):
            return path
        if path in placed:
            return placed[path]
        if r.folder not in moved:
            moved[r.folder] = str(output / EVIDENCE_DIR / _label(r, taken))
        try:
            relative = source.resolve().relative_to(r.folder.resolve())
        except ValueError:
            relative = Path(source.name)
        target = Path(moved[r.folder]) / relative
        if not _place(source, target):
            missing.append(path)
        placed[path] = str(target)
        return str(target)

    items = []
    for item in merged.items:
        r = merged.origin[item.nodeid]
        items.append(map_item_paths(item, lambda p, r=r: to(r, p)))  # type: ignore[misc]
    events: list[Event] = []
    for r in merged.results:
        own = [e for e in r.events if not isinstance(e, (RunStarted, RunFinished))]
        events += [map_event_paths(e, lambda p, r=r: to(r, p)) for e in own]  # type: ignore[misc]
    warnings = list(merged.warnings)
    if missing:
        warnings.append(
            f"{len(missing)} artifact(s) missing, their links are broken (first: {missing[0]}): "
            "copy each shard's whole --runbook-artifacts folder"
        )
    return dataclasses.replace(merged, items=items, events=events, warnings=warnings)


# --- writing ------------------------------------------------------------------------------------

# Under the report's header: every item (skipped ones too, which have no job), failures first.
_ITEMS = Environment(autoescape=select_autoescape(default=True, default_for_string=True)).from_string(
    r"""<h2>{{ summary }}</h2>
{% if sources %}<p class="loc">{{ sources }}</p>{% endif %}
{% for w in warnings %}<p class="note">⚠ {{ w }}</p>{% endfor %}
<table class="steps items">
<thead><tr><th style="width:8%">Outcome</th><th>Item</th><th style="width:10%">Time</th><th style="width:40%">Why</th></tr></thead>
<tbody>
{% for i in items %}<tr class="{{ i.outcome }}">
<td><span class="status {{ i.outcome }}">{{ i.outcome }}</span></td>
<td>{% if i.anchor %}<a href="#{{ i.anchor }}">{{ i.nodeid }}</a>{% else %}{{ i.nodeid }}{% endif %}
{% if i.folder %}<div class="loc"><a href="{{ i.folder }}">evidence</a></div>{% endif %}</td>
<td class="timings">{{ i.time }}</td><td>{{ i.why }}</td></tr>
{% endfor %}</tbody></table>"""
)


def _anchor(job_id: str) -> str:
    return "job-" + "".join(c if c.isalnum() else "_" for c in job_id)


def _items_html(merged: Merged, report_dir: Path) -> Markup:
    def href(path: str | None) -> str:
        return quote(Path(os.path.relpath(path, report_dir)).as_posix()) + "/" if path else ""

    sources = Counter(
        (r.header.shard.describe() if r.header.shard else "run " + r.header.session[:8])
        for r in merged.results
    )
    rows = [
        {
            "nodeid": i.nodeid,
            "outcome": i.outcome,
            "anchor": _anchor(i.jobs[-1]) if i.jobs else "",
            "folder": href(i.folder) if i.folder and os.path.isdir(i.folder) else "",
            "time": f"{i.duration_s:.2f} s",
            "why": i.skip_reason or (i.message if i.outcome == "failed" else ""),
        }
        for i in sorted(merged.items, key=lambda i: ({"failed": 0, "skipped": 2}.get(i.outcome, 1), i.nodeid))
    ]
    shown = ", ".join(f"{s} ({n} process{'es' if n != 1 else ''})" for s, n in sorted(sources.items()))
    return Markup(
        _ITEMS.render(summary=merged.summary(), sources=shown, warnings=merged.warnings, items=rows)
    )


def run_events(merged: Merged, report_dir: Path) -> list[Event]:
    """The jobs' events between one RunStarted and one RunFinished for the whole merge: the
    status is the items' (an example that must fail shows a failed job, and that is a pass)."""
    headers = [r.header for r in merged.results]
    started = min((h.started_at for h in headers), default=time.time())
    ended = max((r.finished_at or h.started_at for r, h in zip(merged.results, headers)), default=started)
    base_urls = {h.base_url for h in headers if h.base_url}
    sessions = sorted({h.session for h in headers})
    shards = {h.shard.index for h in headers if h.shard}
    if len(sessions) == 1:
        run_id = sessions[0]
    elif len(shards) == len(sessions):
        run_id = f"{len(shards)} shards" + (f" of {headers[0].ci_run}" if headers[0].ci_run else "")
    else:
        run_id = f"{len(sessions)} runs"
    jobs = Counter(e.status for e in merged.events if isinstance(e, JobFinished))
    first = RunStarted(
        run_id=run_id,
        base_url=base_urls.pop() if len(base_urls) == 1 else "",
        job_count=sum(jobs.values()),
        artifacts_dir=str(report_dir),
        at=started,
    )
    last = RunFinished(
        run_id=run_id, status=merged.status, duration_ms=(ended - started) * 1000, jobs=dict(jobs), at=ended
    )
    return [first, *merged.events, last]


def write_reports(merged: Merged, report: Path, junit: Path, *, title: str = TITLE) -> None:
    """`report` (HTML) and `junit` (XML) from the merge; links relative to each file."""
    report, junit = report.resolve(), junit.resolve()
    events = run_events(merged, report.parent)
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(
        render_html(events, report, title, _items_html(merged, report.parent)), encoding="utf-8"
    )
    jobs = collect(events).jobs
    started = events[0].at if isinstance(events[0], RunStarted) else None
    junit.parent.mkdir(parents=True, exist_ok=True)
    junit.write_text(
        render_items_junit(merged.items, jobs, junit, report=report, started_at=started), encoding="utf-8"
    )


def durations(merged: Merged) -> dict[str, float]:
    """pytest-split's `.test_durations` entries (node id -> seconds) for the merged items that ran."""
    return {i.nodeid: round(i.duration_s, 3) for i in merged.items if i.outcome != "skipped"}
