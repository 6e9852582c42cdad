"""One self-contained HTML report, built from events only (it never touches the browser).

Run summary on top with failures first, then every job's steps: name, YAML location, action and
target, assertions with their result, the matched locator (a "fallback N of M" badge when it was
not the first candidate), timings, a screenshot thumbnail (the images stay beside the report, linked
relatively; a click opens the full size), and on failure the error with links to the page's HTML,
aria snapshot and the trace. CSS is inline; Jinja2 escapes every value.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from executor.events import Event, RunFinished
from executor.listeners.collect import collect, jobs_failures_first

_TEMPLATE = r"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} — {{ status }}</title>
<style>
  :root { --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --skip: #6e7781; --line: #d0d7de; }
  body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1f2328; background: #f6f8fa; }
  header, main { max-width: 1200px; margin: 0 auto; padding: 1rem 1.5rem; }
  header h1 { margin: .2rem 0; font-size: 1.5rem; }
  .status { display: inline-block; padding: .1rem .55rem; border-radius: 1rem; color: #fff; font-weight: 600; font-size: .85rem; }
  .status.passed { background: var(--ok); } .status.failed { background: var(--bad); }
  .status.warned { background: var(--warn); } .status.skipped, .status.not_checked { background: var(--skip); }
  tr.skipped td { color: var(--skip); }
  .summary { display: flex; gap: 1.5rem; flex-wrap: wrap; color: #57606a; }
  .failures { background: #fff5f5; border: 1px solid #ffcecb; border-radius: 8px; padding: .6rem 1rem; margin: 1rem 0; }
  .failures li { margin: .3rem 0; }
  section.job { background: #fff; border: 1px solid var(--line); border-radius: 8px; margin: 1rem 0; padding: .8rem 1rem; }
  section.job h2 { font-size: 1.15rem; margin: .2rem 0 .5rem; }
  dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: .4rem 0; color: #57606a; }
  dl.meta dd { margin: 0; font-family: ui-monospace, monospace; }
  table.steps { width: 100%; border-collapse: collapse; table-layout: fixed; }
  table.steps col.step { width: 24%; } table.steps col.action { width: 22%; } table.steps col.checks { width: 28%; }
  table.steps col.time { width: 11%; } table.steps col.shot { width: 15%; }
  table.steps td { overflow-wrap: anywhere; }
  table.steps th, table.steps td { border-top: 1px solid var(--line); padding: .45rem .5rem; vertical-align: top; text-align: left; }
  table.steps th { font-size: .8rem; text-transform: uppercase; color: #57606a; }
  tr.depth-1 td:first-child { padding-left: 1.5rem; } tr.depth-2 td:first-child { padding-left: 2.5rem; }
  tr.failed { background: #fff5f5; } tr.warned { background: #fff8c5; }
  .loc, code { font-family: ui-monospace, monospace; font-size: .85rem; color: #57606a; }
  .badge { display: inline-block; padding: 0 .4rem; border-radius: .3rem; font-size: .78rem; background: #ddf4ff; color: #0969da; }
  .badge.fallback { background: #fff8c5; color: var(--warn); font-weight: 600; }
  ul.asserts { list-style: none; margin: 0; padding: 0; }
  ul.asserts li::before { content: "• "; }
  ul.asserts li.passed::before { content: "✓ "; color: var(--ok); } ul.asserts li.failed::before { content: "✗ "; color: var(--bad); }
  ul.asserts li.not_checked { color: var(--skip); }
  img.thumb { width: 100%; max-width: 180px; border: 1px solid var(--line); border-radius: 4px; }
  pre { white-space: pre-wrap; word-break: break-word; background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: .5rem; margin: .3rem 0; font-size: .82rem; }
  pre.error { background: #fff5f5; border-color: #ffcecb; color: #82071e; }
  .timings { font-size: .8rem; color: #57606a; }
  .note { color: var(--warn); font-size: .85rem; }
  .reason { color: #57606a; font-style: italic; }
  section.extra { max-width: 1200px; margin: 0 auto; padding: 0 1.5rem; }
  .performed { color: #82071e; font-weight: 600; }
  .dialog { font-size: .85rem; } .dialog.undeclared, .dialog.dismissed { color: var(--warn); }
</style>
</head>
<body>
<header>
  <h1>{{ title }} <span class="status {{ status }}">{{ status }}</span></h1>
  <div class="summary">
    {% if run_id %}<span>run <code>{{ run_id }}</code></span>{% endif %}
    {% if base_url %}<span>portal <code>{{ base_url }}</code></span>{% endif %}
    <span>{{ jobs|length }} job{{ "s" if jobs|length != 1 }}: {% for s, n in job_counts %}{{ n }} {{ s }}{{ ", " if not loop.last }}{% endfor %}</span>
    {% if duration %}<span>{{ duration }}</span>{% endif %}
    <span>{{ generated }}</span>
  </div>
  {% if failures %}
  <div class="failures"><strong>Failures</strong>
    <ul>{% for job, step in failures %}
      <li><a href="#{{ job.anchor }}">{{ job.id }}</a>: {% if step %}<a href="#{{ step.anchor }}">step {{ step.e.step_id }}</a> <span class="loc">{{ step.e.location }}</span> — {% endif %}{{ job.error }}{% if job.performed %}<div class="performed">{{ job.performed }}</div>{% endif %}</li>
    {% endfor %}</ul>
  </div>
  {% endif %}
</header>
{% if extra %}<section class="extra">{{ extra }}</section>{% endif %}
<main>
{% for job in jobs %}
<section class="job" id="{{ job.anchor }}">
  <h2><span class="status {{ job.status }}">{{ job.status }}</span> {{ job.id }} <span class="loc">{{ job.runbook }}</span></h2>
  <dl class="meta">
    {% if job.path %}<dt>runbook</dt><dd>{{ job.path }}</dd>{% endif %}
    {% if job.duration %}<dt>duration</dt><dd>{{ job.duration }}</dd>{% endif %}
    {% if job.counts %}<dt>steps</dt><dd>{{ job.counts }}</dd>{% endif %}
    {% for k, v in job.params %}<dt>param {{ k }}</dt><dd>{{ v }}</dd>{% endfor %}
    {% for k, v in job.outputs %}<dt>output {{ k }}</dt><dd>{{ v }}</dd>{% endfor %}
    {% for a in job.artifacts %}<dt>{{ a.kind }}</dt><dd><a href="{{ a.href }}">{{ a.name }}</a></dd>{% endfor %}
  </dl>
  {% if job.performed %}<p class="performed">⚠ {{ job.performed }}</p>{% endif %}
  {% if job.error %}<pre class="error">{{ job.error }}</pre>{% endif %}
  <table class="steps">
    <colgroup><col class="step"><col class="action"><col class="checks"><col class="time"><col class="shot"></colgroup>
    <thead><tr><th>Step</th><th>Action</th><th>Checks &amp; locators</th><th>Time</th><th>Screenshot</th></tr></thead>
    <tbody>
    {% for s in job.steps %}
    <tr id="{{ s.anchor }}" class="{{ s.e.status }} depth-{{ [s.e.depth, 2]|min }}">
      <td><span class="status {{ s.e.status }}">{{ s.e.status }}</span> <strong>{{ s.e.step_id }}</strong> {{ s.e.title }}
        <div class="loc">{{ s.e.location }}{% for c in s.e.chain %} ← {{ c }}{% endfor %}</div>
        {% if s.e.reason %}<div class="reason">{{ s.e.reason }}</div>{% endif %}
        {% if s.e.attempts > 1 %}<div class="note">{{ s.e.attempts }} attempts</div>{% endif %}
        {% for n in s.e.notes %}<div class="note">{{ n }}</div>{% endfor %}
        {% if s.e.rounds is not none %}<div class="note">{{ s.e.rounds }} round(s)</div>{% endif %}
      </td>
      <td><code>{{ s.e.action }}</code>{% if s.e.target %} <code>{{ s.e.target }}</code>{% endif %}{% if s.e.destructive %} <span class="badge fallback">destructive</span>{% endif %}
        {% for k, v in s.vars %}<div class="loc">vars.{{ k }} = {{ v }}</div>{% endfor %}
      </td>
      <td>
        {% if s.e.assertions %}<ul class="asserts">{% for a in s.e.assertions %}
          <li class="{{ a.status }}">{{ a.expected }}{% if a.status == "not_checked" %} (not checked){% endif %}{% if a.error %}: <em>{{ a.error }}</em>{% endif %}{% if a.message and a.status == "failed" %} — {{ a.message }}{% endif %}</li>
        {% endfor %}</ul>{% endif %}
        {% for d in s.e.dialogs %}<div class="dialog {{ d.answer }}{{ '' if d.declared else ' undeclared' }}">{{ d.type }} <q>{{ d.message }}</q> → {{ d.answer }}{% if d.prompt is not none %} with <q>{{ d.prompt }}</q>{% endif %}{% if d.note %} <span class="loc">({{ d.note }})</span>{% endif %}</div>{% endfor %}
        {% for a in s.downloads %}<div>download <a href="{{ a.href }}">{{ a.name }}</a> <span class="loc">{{ a.size }} bytes, sha256 {{ a.sha256 }}</span></div>{% endfor %}
        {% for m in s.e.matches %}<div><code>{{ m.target }}</code> → <span class="loc">{{ m.description }}</span>
          <span class="badge{{ ' fallback' if m.fallback }}">{{ m.label }}</span></div>{% endfor %}
        {% if s.e.error %}<pre class="error">{{ s.e.error }}</pre>{% endif %}
        {% if s.e.status == "failed" and s.e.yaml %}<pre>{{ s.e.yaml }}</pre>{% endif %}
        {% for a in s.links %}<a href="{{ a.href }}">{{ a.label }}</a>{{ " · " if not loop.last }}{% endfor %}
      </td>
      <td class="timings">{{ s.total }}<br>act {{ s.act }} · assert {{ s.assert_ }} · shot {{ s.shot }}</td>
      <td>{% for img in s.images %}<a href="{{ img.href }}" target="_blank"><img class="thumb" loading="lazy" src="{{ img.href }}" alt="{{ img.label }}"></a>{% endfor %}</td>
    </tr>
    {% endfor %}
    {% for t in job.not_run %}
    <tr class="skipped"><td colspan="5"><span class="status skipped">not run</span> {{ t }}</td></tr>
    {% endfor %}
    </tbody>
  </table>
</section>
{% endfor %}
</main>
</body>
</html>
"""

_ENV = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
_COMPILED = _ENV.from_string(_TEMPLATE)


def _ms(ms: float) -> str:
    return f"{ms / 1000:.2f} s" if ms >= 1000 else f"{ms:.0f} ms"


def _href(path: str, report_dir: Path) -> str:
    """A relative, URL-quoted link from the report to an artifact."""
    relative = os.path.relpath(path, report_dir)
    return quote(Path(relative).as_posix())


def _anchor(*parts: str) -> str:
    return "-".join("".join(c if c.isalnum() else "_" for c in p) for p in parts)


def render_html(
    events: Iterable[Event], report_path: Path | str, title: str = "Runbook report", extra: Markup | None = None
) -> str:
    """`extra`: ready-made, escaped HTML shown under the header (a bulk run's summary and ledger)."""
    report_dir = Path(report_path).resolve().parent
    run = collect(events)
    jobs, failures = [], []
    for job in jobs_failures_first(run):
        fin, st = job.finished, job.started
        job_anchor = _anchor("job", job.job_id)
        steps = []
        for e in job.steps:
            shots = [a for a in e.artifacts if a.kind in ("screenshot", "extra")]
            steps.append(
                {
                    "e": e,
                    "anchor": _anchor(job.job_id, "step", e.step_id),
                    "images": [{"href": _href(a.path, report_dir), "label": a.label} for a in shots],
                    "downloads": [
                        {"href": _href(a.path, report_dir), "name": Path(a.path).name, "size": a.size, "sha256": a.sha256}
                        for a in e.artifacts
                        if a.kind == "download"
                    ],
                    "links": [
                        {"href": _href(a.path, report_dir), "label": a.label or a.kind}
                        for a in e.artifacts
                        if a.kind not in ("screenshot", "extra", "download")
                    ]
                    + (
                        [{"href": _href(a.path, report_dir), "label": "trace"} for a in fin.artifacts]
                        if fin and e.status == "failed" and e is job.first_failure
                        else []
                    ),
                    "vars": sorted((k, str(v)) for k, v in e.variables.items()),
                    "total": _ms(e.timings.total_ms),
                    "act": _ms(e.timings.act_ms),
                    "assert_": _ms(e.timings.assert_ms),
                    "shot": _ms(e.timings.screenshot_ms),
                }
            )
        view = {
            "id": job.job_id,
            "anchor": job_anchor,
            "runbook": job.runbook,
            "path": st.runbook_path if st else "",
            "status": job.status,
            "error": fin.error if fin else "the job did not finish",
            "performed": (fin.performed_warning() or "") if fin else "",
            "duration": _ms(fin.duration_ms) if fin else "",
            "counts": ", ".join(f"{n} {s}" for s, n in sorted(fin.counts.items())) if fin else "",
            "params": sorted((k, str(v)) for k, v in (st.params.items() if st else [])),
            "outputs": sorted((k, str(v)) for k, v in (fin.outputs.items() if fin else [])),
            "artifacts": [
                {"kind": a.kind, "href": _href(a.path, report_dir), "name": Path(a.path).name}
                for a in (fin.artifacts if fin else ())
            ],
            "steps": steps,
            "not_run": fin.not_run if fin else (),
        }
        jobs.append(view)
        if job.status == "failed":
            first = job.first_failure
            step_view = next((s for s in steps if s["e"] is first), None)
            failures.append((view, step_view))
    counts = Counter(job.status for job in run.jobs.values())
    return _COMPILED.render(
        title=title,
        status=run.status,
        run_id=run.started.run_id if run.started else "",
        base_url=run.started.base_url if run.started else "",
        duration=_ms(run.finished.duration_ms) if run.finished else "",
        generated=time.strftime("%Y-%m-%d %H:%M:%S"),
        jobs=jobs,
        job_counts=sorted(counts.items()),
        failures=failures,
        extra=extra,
    )


class HtmlReportListener:
    """Collects the run's events and writes the report when the run finishes (or on `write()`)."""

    def __init__(
        self, path: Path | str, title: str = "Runbook report", extra: Callable[[], Markup] | None = None
    ) -> None:
        self.path = Path(path)
        self.title = title
        self.events: list[Event] = []
        self.extra = extra  # called at each write: HTML for under the header

    def on_event(self, event: Event) -> None:
        self.events.append(event)
        if isinstance(event, RunFinished):
            self.write()

    def write(self) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        extra = self.extra() if self.extra is not None else None
        self.path.write_text(render_html(self.events, self.path, self.title, extra), encoding="utf-8")
        return self.path
