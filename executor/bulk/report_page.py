"""report.html of a bulk run, built from its run folder: the summary (report_section), the chart
(report_chart) and two lists, rows and the jobs outside rows, whose entries the page's script
(report_script) loads from `report-data/` (report_data) when they are shown.

The HTML holds no row: its size does not grow with the run (about 100 KB). Everything is inline
or beside it, so it works opened from disk, offline. `write_report` is called at the end of each
session and by `runbook status RUN_DIR --report`; it never writes the journal or the log.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from executor.bulk.report_chart import read_finishes, render_chart
from executor.bulk.report_data import DATA_DIR, ReportData, build_data, replace_dir
from executor.bulk.report_script import SCRIPT
from executor.bulk.report_section import RunSummary, read_summary, render_summary

REPORT = "report.html"
SCREEN = 50  # entries drawn at a time: the page never holds more rows than this in its DOM

_CSS = r"""
  :root { --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --skip: #6e7781; --line: #d0d7de; --muted: #57606a; }
  body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1f2328; background: #f6f8fa; }
  header, main { max-width: 1280px; margin: 0 auto; padding: .8rem 1.5rem; }
  header h1 { margin: .2rem 0; font-size: 1.5rem; }
  h2 { font-size: 1.15rem; margin: .2rem 0 .6rem; }
  .muted, .sub { color: var(--muted); }
  .sub { display: flex; gap: 1.2rem; flex-wrap: wrap; }
  code, .loc { font-family: ui-monospace, monospace; font-size: .85rem; }
  .loc { color: var(--muted); }
  section.box, section.bulk, section.list { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: .8rem 1rem; margin: 0 0 1rem; }
  .status { display: inline-block; padding: .05rem .5rem; border-radius: 1rem; color: #fff; font-weight: 600; font-size: .8rem; white-space: nowrap; }
  .status.passed, .status.changed, .status.done { background: var(--ok); }
  .status.failed, .status.attention { background: var(--bad); }
  .status.attention { background: #bc4c00; }
  .status.warned, .status.unfinished, .status.running, .status.unknown { background: var(--warn); }
  .status.unchanged, .status.pending, .status.skipped, .status.planned, .status.not_done, .status.not_checked { background: var(--skip); }
  .bulk dl, dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: .4rem 0; }
  .bulk dt, dl.meta dt { color: var(--muted); }
  .bulk dd, dl.meta dd { margin: 0; font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
  .tiles { display: flex; gap: .6rem; flex-wrap: wrap; margin: .2rem 0 .6rem; }
  .tile { display: block; padding: .35rem .8rem; border-radius: 6px; border: 1px solid var(--line); text-decoration: none; color: inherit; background: #f6f8fa; }
  .tile b { font-size: 1.25rem; display: block; }
  .tile.failed, .tile.attention { background: #fff5f5; border-color: #ffcecb; color: #82071e; }
  .tile.changed { background: #dafbe1; border-color: #aceebb; color: #116329; }
  table { width: 100%; border-collapse: collapse; }
  th, td { border-top: 1px solid var(--line); padding: .35rem .45rem; text-align: left; vertical-align: top; }
  th { font-size: .78rem; text-transform: uppercase; color: var(--muted); }
  table.ops { font-size: .9rem; margin: .4rem 0; }
  details.notes li.error { color: var(--bad); } details.notes li.warning { color: var(--warn); }
  details.notes ul { max-height: 16rem; overflow: auto; margin: .3rem 0; font-size: .85rem; }
  .chart { width: 100%; height: auto; display: block; }
  .chart text { font: 11px system-ui, sans-serif; fill: var(--muted); }
  .chart text.end { font-weight: 600; }
  .chart-legend { list-style: none; display: flex; flex-wrap: wrap; gap: .3rem 1.4rem; padding: 0; margin: .3rem 0 0; font-size: .85rem; }
  .swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: .35rem; vertical-align: -1px; }
  .key-marks { font-size: .8rem; color: var(--muted); }
  .toolbar { display: flex; gap: .8rem; align-items: center; flex-wrap: wrap; margin-bottom: .4rem; }
  .chips { display: flex; gap: .3rem; flex-wrap: wrap; }
  .chip { border: 1px solid var(--line); background: #f6f8fa; border-radius: 1rem; padding: .15rem .65rem; cursor: pointer; font: inherit; font-size: .85rem; }
  .chip[aria-pressed=true] { background: #0969da; border-color: #0969da; color: #fff; }
  .chip.failed b, .chip.attention b { color: var(--bad); } .chip[aria-pressed=true] b { color: #fff; }
  input[type=search] { font: inherit; padding: .25rem .5rem; border: 1px solid var(--line); border-radius: 6px; min-width: 18rem; }
  .count { color: var(--muted); }
  table.entries { font-size: .88rem; table-layout: fixed; }
  table.entries tr.entry { cursor: pointer; }
  table.entries tr.entry:hover { background: #f6f8fa; }
  table.entries tr.failed, table.entries tr.attention { background: #fff5f5; }
  table.entries td.key { font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
  table.entries td.when { font-size: .8rem; color: var(--muted); }
  .clamp { display: -webkit-box; -webkit-line-clamp: 3; -webkit-box-orient: vertical; overflow: hidden; overflow-wrap: anywhere; }
  .fstep { font-size: .8rem; color: #82071e; } .small { font-size: .8rem; }
  button.expand { border: none; background: none; cursor: pointer; font-size: 1rem; padding: 0 .2rem; }
  tr.detail > td { background: #fbfcfd; padding: .6rem .8rem 1rem 1.8rem; }
  .pager { display: flex; gap: .5rem; align-items: center; justify-content: flex-end; margin-top: .5rem; }
  .pager button { font: inherit; font-size: .85rem; padding: .15rem .6rem; border: 1px solid var(--line); border-radius: 6px; background: #fff; cursor: pointer; }
  .pager button[disabled] { opacity: .4; cursor: default; }
  img.thumb { width: 100%; max-width: 180px; border: 1px solid var(--line); border-radius: 4px; background: #eaeef2; }
  img.thumb.small { max-width: 96px; }
  details.job { border: 1px solid var(--line); border-radius: 6px; background: #fff; margin: .5rem 0; padding: .3rem .7rem; }
  details.job.failed { border-color: #ffcecb; }
  details.job > summary { cursor: pointer; padding: .2rem 0; }
  table.steps { table-layout: fixed; font-size: .85rem; }
  table.steps col.step { width: 26%; } table.steps col.action { width: 18%; } table.steps col.checks { width: 36%; }
  table.steps col.time { width: 7%; } table.steps col.shot { width: 13%; }
  table.steps td { overflow-wrap: anywhere; }
  tr.step.depth-1 td:first-child { padding-left: 1.4rem; } tr.step.depth-2 td:first-child { padding-left: 2.4rem; }
  tr.step.failed { background: #fff5f5; } tr.step.warned { background: #fff8c5; } tr.step.skipped td { color: var(--skip); }
  .badge { display: inline-block; padding: 0 .4rem; border-radius: .3rem; font-size: .75rem; background: #ddf4ff; color: #0969da; margin-left: .3rem; }
  .badge.fallback { background: #fff8c5; color: var(--warn); font-weight: 600; }
  ul.asserts { list-style: none; margin: 0; padding: 0; }
  ul.asserts li::before { content: "• "; }
  ul.asserts li.passed::before { content: "✓ "; color: var(--ok); } ul.asserts li.failed::before { content: "✗ "; color: var(--bad); }
  ul.asserts li.failed { color: #82071e; } ul.asserts li.not_checked { color: var(--skip); }
  pre { white-space: pre-wrap; word-break: break-word; background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: .45rem; margin: .3rem 0; font-size: .8rem; }
  pre.error { background: #fff5f5; border-color: #ffcecb; color: #82071e; }
  .note { color: var(--warn); font-size: .82rem; } .reason { color: var(--muted); font-style: italic; }
  .performed { color: #82071e; font-weight: 600; }
  a.link { margin-right: .6rem; font-size: .82rem; }
  .timings { font-size: .8rem; color: var(--muted); }
  .load-error { color: var(--bad); font-weight: 600; }
  .op { font-size: .85rem; margin: .15rem 0; } .ops-of-row { margin-bottom: .4rem; }
"""

_TEMPLATE = r"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} — {{ s.state }}</title>
<style>{{ css }}</style>
</head>
<body>
<header>
  <h1>{{ title }} <span class="status {{ s.state }}">{{ s.state }}</span></h1>
  <div class="sub">
    <span>run <code>{{ run_id }}</code></span>
    {% if base_url %}<span>portal <code>{{ base_url }}</code></span>{% endif %}
    <span>report built {{ generated }} from {{ sources }}</span>
  </div>
</header>
<main>
{{ summary }}
<section class="box" aria-labelledby="chart-h">
  <h2 id="chart-h">Rows finished over time</h2>
  {{ chart }}
  <p class="key-marks">One line per worker: steeper is faster; a line that flattens is a worker slowing down. ✕ failed rows, ○ rows that passed after a retry; the bars are rows per minute, all workers (failures in red). Hover for numbers.</p>
</section>
<section class="list" id="rows" data-coll="rows" aria-labelledby="rows-h">
  <h2 id="rows-h">Rows <span class="muted">— attention and failed first; click a row for its steps</span></h2>
  <div class="toolbar">
    <div class="chips" role="group" aria-label="filter by status"></div>
    <input type="search" placeholder="search a key (e-mail) or a row number" aria-label="search rows">
    <span class="count"></span>
  </div>
  <table class="entries">
    <colgroup><col style="width:5.5rem"><col style="width:15rem"><col style="width:6.5rem"><col><col style="width:9rem"><col style="width:4rem"><col style="width:3.5rem"><col style="width:6.5rem"><col style="width:110px"></colgroup>
    <thead><tr><th>Row</th><th>Key</th><th>Status</th><th>Reason</th><th>Before → after</th><th>Worker</th><th>Tries</th><th>Finished</th><th>Screenshot</th></tr></thead>
    <tbody><tr><td colspan="9">loading…</td></tr></tbody>
  </table>
  <div class="pager"></div>
  <noscript><p class="load-error">The rows are shown by the page's script: allow JavaScript for this file, or read results.csv beside it.</p></noscript>
</section>
{% if jobs_total %}
<section class="list" id="jobs" data-coll="jobs" aria-labelledby="jobs-h">
  <h2 id="jobs-h">Other jobs <span class="muted">— logins, reads of the portal, purchases, removals, verifications</span></h2>
  <div class="toolbar">
    <div class="chips" role="group" aria-label="filter jobs by status"></div>
    <input type="search" placeholder="search a job or runbook" aria-label="search jobs">
    <span class="count"></span>
  </div>
  <table class="entries">
    <colgroup><col style="width:3rem"><col style="width:22%"><col style="width:12%"><col style="width:6rem"><col><col style="width:8.5rem"><col style="width:5rem"><col style="width:110px"></colgroup>
    <thead><tr><th></th><th>Job</th><th>Runbook</th><th>Status</th><th>Error</th><th>Started</th><th>Time</th><th>Screenshot</th></tr></thead>
    <tbody><tr><td colspan="8">loading…</td></tr></tbody>
  </table>
  <div class="pager"></div>
</section>
{% endif %}
</main>
<script type="application/json" id="report-manifest">{{ manifest }}</script>
<script>{{ script }}</script>
</body>
</html>
"""

_ENV = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
_COMPILED = _ENV.from_string(_TEMPLATE)


@dataclass(frozen=True)
class Written:
    """What `write_report` wrote: the page, its data, their sizes (bytes)."""

    path: Path
    html_bytes: int
    data: ReportData
    summary: RunSummary


def write_report(run_folder: Path) -> Written:
    """Build `report.html` and `report-data/` of the bulk run in `run_folder` from its journal,
    plan and events files. Replaces a previous build whole (data first, then the page). Raises
    OSError (unreadable folder, disk full) and sqlite3.Error (a damaged journal)."""
    run_folder = Path(run_folder)
    journal = run_folder / "journal.sqlite"
    plan = _json(run_folder / "plan.json")
    run = _json(run_folder / "run.json") or {}
    _remove_abandoned(run_folder)
    # Named after this process: `runbook status --report` may build while the run's own build does.
    fresh = run_folder / f"{DATA_DIR}.new-{os.getpid()}"
    data = build_data(run_folder, fresh, journal=journal)
    summary = read_summary(journal if journal.is_file() else None, plan)
    finishes, timeline, marks = read_finishes(journal, data.tries) if journal.is_file() else ([], None, [])
    manifest = {"build": data.build, "data": DATA_DIR, "screen": SCREEN, "rows": data.rows.as_json(),
                "jobs": data.jobs.as_json()}  # fmt: skip
    runbook = summary.runbook or Path(str(run.get("runbook", "bulk"))).stem
    html = _COMPILED.render(
        title=f"Bulk run: {runbook}",
        s=summary,
        run_id=run_folder.resolve().name,
        base_url=run.get("base_url", ""),
        generated=time.strftime("%Y-%m-%d %H:%M:%S"),
        sources=", ".join(["journal.sqlite" if journal.is_file() else "plan.json", *data.sources]),
        summary=render_summary(summary),
        chart=render_chart(finishes, timeline, marks),
        jobs_total=data.jobs.total,
        css=Markup(_CSS),  # our own constants, as the script below
        # In a <script> element "</" would end it: the JSON's "<" are written as \u003c.
        manifest=Markup(json.dumps(manifest, separators=(",", ":")).replace("<", "\\u003c")),
        script=Markup(SCRIPT),
    )
    replace_dir(fresh, run_folder / DATA_DIR)
    target = run_folder / REPORT
    tmp = target.with_suffix(".html.tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, target)
    return Written(target, len(html.encode("utf-8")), data, summary)


def write_report_or_warn(run_folder: Path) -> Path | None:
    """`write_report` at the end of a session: a report that cannot be built must not hide the
    run's outcome (the journal and results.csv have it), so it is a warning on stderr."""
    try:
        return write_report(run_folder).path
    except Exception as err:  # noqa: BLE001 - see the docstring; the run's exit code stands
        print(f"warning: report.html not written: {type(err).__name__}: {err}", file=sys.stderr)
        print(f"  build it again with: runbook status {run_folder} --report", file=sys.stderr)
        return None


def _remove_abandoned(run_folder: Path) -> None:
    """Data folders of builds whose process is gone (killed halfway): never shown, only in the way."""
    for folder in run_folder.glob(f"{DATA_DIR}.new-*"):
        pid = folder.name.rsplit("-", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _json(path: Path) -> Any:
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))
