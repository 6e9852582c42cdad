"""The bulk summary at the top of report.html: what the run planned and what it did. Rows by
status, the licenses bought and removed, the bill before and after, the operations and their
outcomes (those that are not a row's: purchases, removals), the notes a person must see.

Built from the journal and the plan only, with SQL counts (never every row in memory): the rows
themselves are in the report's data files (report_data). Jinja2 escapes every value.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections import Counter
from collections.abc import Mapping
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from executor.bulk.ledger import ORDER
from executor.bulk.planning import money

NOTES = 30  # the last notes shown; `runbook status` and the journal have them all

_TEMPLATE = r"""
<section class="bulk" aria-labelledby="bulk-title">
  <h2 id="bulk-title">Bulk run: {{ s.runbook }} — {{ "{:,}".format(s.rows) }} rows{% if s.strategy %} ({{ s.strategy }}){% endif %}</h2>
  <div class="tiles">
    {% for k, n in s.counts %}<a class="tile {{ k }}" href="#status={{ k }}" data-status="{{ k }}"><b>{{ "{:,}".format(n) }}</b> {{ k }}</a>{% endfor %}
  </div>
  <dl>
    <dt>rows</dt><dd>{% for k, n in s.counts %}{{ n }} {{ k }}{{ ", " if not loop.last }}{% endfor %}{% if not s.counts %}none{% endif %}</dd>
    {% if s.bill_before %}<dt>monthly bill</dt><dd>{{ s.bill_before }} CAD before → {{ s.bill_after }} CAD after (planned)</dd>{% endif %}
    {% if s.planned_buy %}<dt>planned</dt><dd>buy {{ s.planned_buy }}; remove {{ s.planned_remove }}</dd>{% endif %}
    <dt>done</dt><dd>bought {{ s.bought or "none" }}; removed {{ s.removed or "none" }}</dd>
    <dt>operations</dt><dd>{% for k, n in s.ops %}{{ n }} {{ k }}{{ ", " if not loop.last }}{% endfor %}{% if not s.ops %}none{% endif %}</dd>
    <dt>outcomes read from the portal</dt><dd>{{ s.verified }} (unknown now: {{ s.unknown }})</dd>
    {% if s.sessions %}<dt>sessions</dt><dd>{{ s.sessions }}</dd>{% endif %}
    {% if s.plan_hash %}<dt>plan hash</dt><dd>{{ s.plan_hash }}</dd>{% endif %}
  </dl>
  {% if s.run_ops %}
  <table class="ops">
    <thead><tr><th>Op</th><th>Kind</th><th>Tier</th><th>Qty</th><th>Outcome</th><th>Detail</th></tr></thead>
    <tbody>{% for o in s.run_ops %}
      <tr class="{{ o.outcome }}"><td>{{ o.id }}</td><td>{{ o.kind }}</td><td>{{ o.tier }}</td><td>{{ o.quantity }}</td>
        <td><span class="st {{ o.outcome }}">{{ o.outcome }}</span>{% if o.verified %} <span class="badge">read from the portal</span>{% endif %}</td>
        <td>{{ o.detail }}</td></tr>{% endfor %}
    </tbody>
  </table>
  {% endif %}
  {% if s.notes %}
  <details class="notes"{% if notes_open %} open{% endif %}><summary>{{ s.note_total }} note{{ "s" if s.note_total != 1 }} (stops, verifications, sessions){% if s.note_total > s.notes|length %}: the last {{ s.notes|length }}{% endif %}</summary>
    <ul>{% for n in s.notes %}<li class="{{ n.kind }}"><code>{{ n.at }}</code> {{ n.kind }}{% if n.row %} row {{ n.row }}{% endif %}: {{ n.detail }}</li>{% endfor %}</ul>
  </details>
  {% endif %}
</section>
"""

_ENV = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
_COMPILED = _ENV.from_string(_TEMPLATE)


@dataclass(frozen=True)
class RunSummary:
    """The numbers of the summary. `counts`: (status, rows) in display order."""

    runbook: str = ""
    strategy: str = ""
    rows: int = 0
    counts: tuple[tuple[str, int], ...] = ()
    ops: tuple[tuple[str, int], ...] = ()  # ("purchase done", 2), ...
    bought: str = ""
    removed: str = ""
    verified: int = 0
    unknown: int = 0
    bill_before: str = ""
    bill_after: str = ""
    planned_buy: str = ""
    planned_remove: str = ""
    plan_hash: str = ""
    sessions: int = 0
    run_ops: tuple[Mapping[str, Any], ...] = ()  # operations not tied to a row
    notes: tuple[Mapping[str, Any], ...] = ()
    note_total: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        counts = dict(self.counts)
        finished = sum(counts.get(s, 0) for s in ("changed", "unchanged", "failed", "attention", "skipped"))
        return finished == self.rows and not (counts.get("failed") or counts.get("attention")) and not self.unknown

    @property
    def state(self) -> str:
        """passed | failed | unfinished | planned (a dry run)."""
        counts = dict(self.counts)
        if counts.get("planned"):
            return "planned"
        if sum(counts.get(s, 0) for s in ("pending", "running")):
            return "unfinished"
        return "passed" if self.ok else "failed"


def _tiers(values: Mapping[str, int]) -> str:
    return ", ".join(f"{n} {t}" for t, n in values.items() if n)


def read_summary(journal: Path | None, plan: Mapping[str, Any] | None) -> RunSummary:
    """The summary from the journal (read-only) and the plan (`plan.json`, may be None). Without a
    journal (a dry run), the rows are counted from the plan."""
    plan = plan or {}
    totals = plan.get("totals", {}) or {}
    base: dict[str, Any] = {
        "runbook": plan.get("runbook", ""),
        "strategy": plan.get("strategy", ""),
        "bill_before": money(totals["bill_before_cents"]) if totals.get("bill_before_cents") is not None else "",
        "bill_after": money(totals.get("bill_after_cents")),
        "planned_buy": _tiers(totals.get("buy", {})) or ("none" if totals else ""),
        "planned_remove": _tiers(totals.get("remove", {})) or "none",
    }
    if journal is None or not journal.is_file():
        actions = Counter({"unchanged": "unchanged", "fail": "failed"}.get(r.get("action"), "planned")
                          for r in plan.get("rows", ()))  # fmt: skip
        return RunSummary(rows=sum(actions.values()), counts=_ordered(actions), **base)
    with closing(sqlite3.connect(f"file:{journal}?mode=ro", uri=True)) as conn:
        counts = Counter(dict(conn.execute("SELECT status, COUNT(*) FROM rows GROUP BY status").fetchall()))
        grouped = conn.execute("SELECT kind, outcome, COUNT(*) FROM ops GROUP BY kind, outcome")
        ops = Counter({f"{kind} {outcome or 'unknown'}": n for kind, outcome, n in grouped})
        done = conn.execute(
            "SELECT kind, tier, SUM(quantity) FROM ops WHERE outcome = 'done' AND tier IS NOT NULL"
            " AND kind IN ('purchase', 'remove') GROUP BY kind, tier ORDER BY tier"
        ).fetchall()
        verified, unknown = conn.execute(
            "SELECT COALESCE(SUM(verified), 0), COALESCE(SUM(outcome IS NULL), 0) FROM ops"
        ).fetchone()
        run = dict(conn.execute("SELECT key, value FROM run").fetchall())
        run_ops = tuple(
            {"id": i, "kind": k, "tier": t or "", "quantity": q or "", "outcome": o or "unknown",
             "detail": d or "", "verified": bool(v)}
            for i, k, t, q, o, d, v in conn.execute(
                "SELECT id, kind, tier, quantity, outcome, outcome_detail, verified FROM ops WHERE row IS NULL"
                " ORDER BY id"
            )
        )
        note_total = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        notes = conn.execute(
            "SELECT at, kind, row, detail FROM events ORDER BY id DESC LIMIT ?", (NOTES,)
        ).fetchall()
    def value(key: str, default: Any) -> Any:
        return json.loads(run[key]) if key in run else default

    return RunSummary(
        rows=sum(counts.values()),
        counts=_ordered(counts),
        ops=tuple(sorted(ops.items())),
        bought=_tiers({t: n for k, t, n in done if k == "purchase"}),
        removed=_tiers({t: n for k, t, n in done if k == "remove"}),
        verified=int(verified),
        unknown=int(unknown),
        plan_hash=value("plan_hash", ""),
        sessions=int(value("sessions", 0) or 0),
        run_ops=run_ops,
        notes=tuple(
            {"at": _clock(at), "kind": kind, "row": row, "detail": detail or ""} for at, kind, row, detail in reversed(notes)
        ),
        note_total=int(note_total),
        **{**base, "strategy": base["strategy"] or value("strategy", "")},
    )


def _ordered(counts: Mapping[str, int]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(((k, n) for k, n in counts.items() if n), key=lambda kv: (ORDER.get(kv[0], 9), kv[0])))


def _clock(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at))


def render_summary(summary: RunSummary) -> Markup:
    """The summary section's HTML (escaped)."""
    # Open when the run stopped on an error: that is the first thing to read. Otherwise folded.
    notes_open = any(n["kind"] == "error" for n in summary.notes)
    return Markup(_COMPILED.render(s=summary, notes_open=notes_open))  # rendered by an autoescaping template
