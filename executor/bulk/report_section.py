"""The bulk summary at the top of report.html: totals, the bill before and after, the operations,
and the per-row ledger (failures first) linking each row to its job's steps and screenshots.
Built from the journal and the plan only; Jinja2 escapes every value."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from executor.bulk.journal import Journal
from executor.bulk.ledger import ORDER, screenshots_of, summarize
from executor.bulk.planning import money

_TEMPLATE = r"""
<style>
  .bulk { background: #fff; border: 1px solid #d0d7de; border-radius: 8px; padding: .8rem 1rem; margin: 1rem 0; }
  .bulk h2 { font-size: 1.2rem; margin: .2rem 0 .6rem; }
  .bulk dl { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: .3rem 0 .8rem; }
  .bulk dd { margin: 0; font-family: ui-monospace, monospace; }
  .bulk table { width: 100%; border-collapse: collapse; font-size: .9rem; }
  .bulk th, .bulk td { border-top: 1px solid #d0d7de; padding: .3rem .4rem; text-align: left; vertical-align: top; }
  .bulk tr.failed, .bulk tr.attention { background: #fff5f5; }
  .bulk .st { font-weight: 600; } .bulk .st.changed { color: #1a7f37; } .bulk .st.failed { color: #cf222e; }
  .bulk .st.attention { color: #9a6700; } .bulk .st.unchanged { color: #57606a; }
  .bulk img { width: 120px; border: 1px solid #d0d7de; border-radius: 3px; }
</style>
<div class="bulk">
  <h2>Bulk run: {{ runbook }} — {{ rows }} rows ({{ strategy }})</h2>
  <dl>
    <dt>rows</dt><dd>{% for k, n in counts %}{{ n }} {{ k }}{{ ", " if not loop.last }}{% endfor %}</dd>
    {% if bill_before %}<dt>monthly bill</dt><dd>{{ bill_before }} CAD before → {{ bill_after }} CAD after (planned)</dd>{% endif %}
    {% if planned_buy %}<dt>planned</dt><dd>buy {{ planned_buy }}; remove {{ planned_remove }}</dd>{% endif %}
    <dt>done</dt><dd>bought {{ bought or "none" }}; removed {{ removed or "none" }}</dd>
    <dt>operations</dt><dd>{% for k, n in ops %}{{ n }} {{ k }}{{ ", " if not loop.last }}{% endfor %}{% if not ops %}none{% endif %}</dd>
    <dt>outcomes read from the portal</dt><dd>{{ verified }} (unknown now: {{ unknown }})</dd>
    <dt>plan hash</dt><dd>{{ plan_hash }}</dd>
  </dl>
  <table>
    <thead><tr><th>Row</th><th>Key</th><th>Status</th><th>Reason</th><th>Before</th><th>After</th><th>Worker</th><th>Steps</th><th>Screenshots</th></tr></thead>
    <tbody>
    {% for r in ledger %}
      <tr class="{{ r.status }}"><td>{{ r.row }}</td><td>{{ r.key }}</td><td><span class="st {{ r.status }}">{{ r.status }}</span></td>
        <td>{{ r.reason }}</td><td>{{ r.before }}</td><td>{{ r.after }}</td><td>{{ r.worker }}</td>
        <td>{% for j in r.jobs %}<a href="#{{ j.anchor }}">{{ j.name }}</a>{{ " " if not loop.last }}{% endfor %}</td>
        <td>{% for s in r.shots %}<a href="{{ s }}" target="_blank"><img loading="lazy" src="{{ s }}" alt="row {{ r.row }}"></a>{% endfor %}</td></tr>
    {% endfor %}
    </tbody>
  </table>
</div>
"""

_ENV = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
_COMPILED = _ENV.from_string(_TEMPLATE)


def _tiers(values: Mapping[str, int]) -> str:
    return ", ".join(f"{n} {t}" for t, n in values.items() if n)


def _jobs(artifacts: str | None) -> list[dict[str, str]]:
    """The row's jobs (one folder each), linked to their section of the report (this session's)."""
    if not artifacts or not Path(artifacts).is_dir():
        return []
    names = sorted(p.name for p in Path(artifacts).iterdir() if p.is_dir())
    return [{"name": n, "anchor": "job-" + "".join(c if c.isalnum() else "_" for c in n)} for n in names]


def render_summary(journal: Journal, report_dir: Path, plan: Mapping[str, Any] | None = None) -> Markup:
    s = summarize(journal)
    totals = (plan or {}).get("totals", {})
    ledger = []
    for rec in sorted(journal.rows(), key=lambda r: (ORDER.get(r.status, 9), r.row)):
        shots = [quote(Path(os.path.relpath(p, report_dir)).as_posix()) for p in screenshots_of(rec)[-2:]]
        ledger.append(
            {
                "row": rec.row,
                "key": rec.key,
                "status": rec.status,
                "reason": rec.reason or "",
                "before": rec.before or "",
                "after": rec.after or "",
                "worker": rec.worker or "",
                "shots": shots,
                "jobs": _jobs(rec.artifacts),
            }
        )
    html = _COMPILED.render(
        runbook=(plan or {}).get("runbook", ""),
        strategy=(plan or {}).get("strategy", ""),
        rows=s.rows,
        counts=sorted(s.counts.items(), key=lambda kv: ORDER.get(kv[0], 9)),
        bill_before=money(totals["bill_before_cents"]) if totals.get("bill_before_cents") is not None else "",
        bill_after=money(totals.get("bill_after_cents")),
        planned_buy=_tiers(totals.get("buy", {})) or ("none" if totals else ""),
        planned_remove=_tiers(totals.get("remove", {})) or "none",
        bought=_tiers(s.bought),
        removed=_tiers(s.removed),
        ops=sorted(s.ops.items()),
        verified=s.verified,
        unknown=s.unknown,
        plan_hash=journal.run_value("plan_hash", ""),
        ledger=ledger,
    )
    return Markup(html)  # noqa: S704 - rendered by an autoescaping template above
