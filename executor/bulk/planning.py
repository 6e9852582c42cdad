"""The plan of a bulk run: per row what will happen, and the totals. Pure (no browser).

For the bulk downgrade the plan is computed from the portal's state (`PortalState`):
- a row whose user already holds the target tier is `unchanged`;
- a missing user, a user without a license, or a target that is not cheaper is `fail`;
- every other row is `reassign old → target`.
Totals: licenses needed per target tier, the free ones already in the pool used first
(`use_free`), the rest bought (`buy`, in checkouts of at most 100), and one license removed per
row moved off a tier (`remove`). The monthly bill before and after follows from the pool totals.

The plan's hash (sha256 of its canonical JSON) goes into run.json and the journal.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from executor.bulk.portal_state import PortalState
from executor.bulk.rows import InputRow

RowAction = Literal["reassign", "unchanged", "fail", "run"]
MAX_PER_CHECKOUT = 100  # the portal's quantity field takes 1 to 100


@dataclass(frozen=True)
class RowPlan:
    row: int
    key: str
    action: RowAction
    text: str
    before: str | None = None  # the tier read from the portal
    target: str | None = None


@dataclass(frozen=True)
class Totals:
    buy: Mapping[str, int] = field(default_factory=dict)
    use_free: Mapping[str, int] = field(default_factory=dict)
    remove: Mapping[str, int] = field(default_factory=dict)
    bill_before_cents: int | None = None
    bill_after_cents: int | None = None

    @property
    def checkouts(self) -> int:
        return sum(-(-n // MAX_PER_CHECKOUT) for n in self.buy.values() if n > 0)


@dataclass(frozen=True)
class BulkPlan:
    runbook: str
    strategy: str
    rows: tuple[RowPlan, ...]
    totals: Totals = Totals()
    pool: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # as read, for the record
    notes: tuple[str, ...] = ()  # e.g. destructive locators resolved (or not) by the dry run

    def counts(self) -> Counter[str]:
        return Counter(r.action for r in self.rows)

    def as_json(self) -> dict[str, Any]:
        return {
            "runbook": self.runbook,
            "strategy": self.strategy,
            "rows": [asdict(r) for r in self.rows],
            "totals": asdict(self.totals),
            "pool": {t: dict(v) for t, v in self.pool.items()},
            "notes": list(self.notes),
        }

    def digest(self) -> str:
        """What the run commits to: the rows' actions and the totals (not the notes)."""
        core = {k: v for k, v in self.as_json().items() if k != "notes"}
        return hashlib.sha256(json.dumps(core, sort_keys=True).encode()).hexdigest()


def money(cents: int | None) -> str:
    return "?" if cents is None else f"{cents // 100}.{cents % 100:02d}"


# --- the bulk downgrade -----------------------------------------------------------------------------


def _row_plan(row: InputRow, email: str, target: str, state: PortalState) -> RowPlan:
    base = {"row": row.number, "key": row.key, "target": target}
    if not state.has_user(email):
        return RowPlan(action="fail", text="user not found: will fail", **base)
    tier = state.tier_of(email)
    if tier is None:
        return RowPlan(action="fail", text="holds no license: will fail", before=None, **base)
    if tier == target:
        return RowPlan(action="unchanged", text=f"already {target}: skip", before=tier, **base)
    if tier not in state.pool or target not in state.pool:
        return RowPlan(action="fail", text=f"unknown tier {tier if tier not in state.pool else target}", before=tier, **base)
    if state.rank(tier) < state.rank(target):
        return RowPlan(action="fail", text=f"holds {tier}, cheaper than {target}: not a downgrade, will fail", before=tier, **base)
    return RowPlan(action="reassign", text=f"{tier} → {target}", before=tier, **base)


def plan_downgrade(
    rows: Sequence[InputRow],
    state: PortalState,
    *,
    runbook: str = "downgrade_license",
    email_param: str = "user_email",
    target_param: str = "target_tier",
) -> BulkPlan:
    first = [_row_plan(r, str(r.params[email_param]), str(r.params[target_param]), state) for r in rows]
    need = Counter(p.target for p in first if p.action == "reassign" and p.target)
    use_free = {t: min(n, state.pool[t].available) for t, n in need.items()}
    buy = {t: n - use_free[t] for t, n in need.items()}
    remove = Counter(p.before for p in first if p.action == "reassign" and p.before)
    # Say per row where its license comes from: the pool's free ones first, in row order.
    left_free = dict(use_free)
    planned: list[RowPlan] = []
    for p in first:
        if p.action != "reassign" or p.target is None or p.before is None:
            planned.append(p)
            continue
        if left_free.get(p.target, 0) > 0:
            left_free[p.target] -= 1
            source = f"a free {p.target} already in the pool"
        else:
            source = f"a newly bought {p.target}"
        text = f"{p.before} → {p.target}: reassign to {source}, remove 1 {p.before}"
        planned.append(RowPlan(p.row, p.key, "reassign", text, p.before, p.target))
    after = {t: line.total + buy.get(t, 0) - remove.get(t, 0) for t, line in state.pool.items()}
    totals = Totals(
        buy={t: n for t, n in buy.items() if n},
        use_free={t: n for t, n in use_free.items() if n},
        remove=dict(remove),
        bill_before_cents=state.bill_cents(),
        bill_after_cents=state.bill_cents(after),
    )
    return BulkPlan(
        runbook=runbook,
        strategy="aggregate",
        rows=tuple(planned),
        totals=totals,
        pool={t: {"total": p.total, "assigned": p.assigned, "available": p.available} for t, p in state.pool.items()},
    )


def checkouts(quantity: int) -> list[int]:
    """A purchase of `quantity` as checkout quantities of at most 100."""
    out = []
    while quantity > 0:
        out.append(min(quantity, MAX_PER_CHECKOUT))
        quantity -= out[-1]
    return out


# --- printing -------------------------------------------------------------------------------------


def _per_tier(values: Mapping[str, int]) -> str:
    return ", ".join(f"{n} {t}" for t, n in values.items() if n) or "none"


def plan_lines(plan: BulkPlan, *, limit: int | None = None) -> list[str]:
    counts = plan.counts()
    lines = [f"Plan for {len(plan.rows)} rows of {plan.runbook} ({plan.strategy})"]
    shown: Iterable[RowPlan] = plan.rows if limit is None else plan.rows[:limit]
    for r in shown:
        lines.append(f"  row {r.row:>4} {r.key}: {r.text}")
    if limit is not None and len(plan.rows) > limit:
        lines.append(f"  ... {len(plan.rows) - limit} more rows in plan.txt")
    lines.append("Totals:")
    lines.append("  rows: " + ", ".join(f"{n} {a}" for a, n in sorted(counts.items())))
    t = plan.totals
    if plan.strategy == "aggregate":
        lines.append(f"  licenses to buy: {_per_tier(t.buy)} ({t.checkouts} checkout(s))")
        lines.append(f"  free licenses used first: {_per_tier(t.use_free)}")
        lines.append(f"  licenses to remove: {_per_tier(t.remove)}")
        lines.append(
            f"  monthly bill: {money(t.bill_before_cents)} CAD before, {money(t.bill_after_cents)} CAD after"
        )
    for note in plan.notes:
        lines.append(f"  note: {note}")
    lines.append(f"  plan hash: {plan.digest()[:16]}")
    return lines
