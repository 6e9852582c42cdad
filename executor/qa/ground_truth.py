"""Ground truth after an example: the fake portal's `/_test/state` against the example's `expect_state`.

Pure functions over two state snapshots (before and after the run), so they are unit-tested
without a browser. Keys an example may state:

    users: {email: tier | null | absent}        the user's license after the run (null: none;
                                                 absent: the user no longer exists)
    pool: {Tier: {total|assigned|available: n}}  the license pool after the run
    monthly_bill: n                              the bill after the run
    monthly_bill_delta: n                        after minus before
    ledger_delta: {purchase|removal|upgrade: n}  new ledger entries of that kind

Two checks hold for every example without being written down (the money traps):
- no tier ends with more free licenses than it started with, unless `pool.<Tier>.available` says
  so (a free license stays billable);
- an example whose runbook must refuse (`outcome: failed`) leaves users, pool and ledger as they were.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

STATE_KEYS = ("users", "pool", "monthly_bill", "monthly_bill_delta", "ledger_delta")
POOL_FIELDS = ("total", "assigned", "available")
ABSENT = "<absent>"
GONE = "absent"  # what an example writes for a user that must not exist after the run


@dataclass(frozen=True)
class Mismatch:
    key: str  # "users.user03@acme.example", "pool.Pro.available", "monthly_bill_delta"
    expected: str
    found: str
    note: str = ""


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def problems_in(expect: Mapping[str, Any]) -> list[str]:
    """What is wrong with an `expect_state` mapping itself (reported at collection)."""
    out: list[str] = []
    for key, value in expect.items():
        if key not in STATE_KEYS:
            out.append(f"unknown expect_state key '{key}' (known: {', '.join(STATE_KEYS)})")
        elif key == "users":
            if not isinstance(value, Mapping) or not all(
                v is None or isinstance(v, str) for v in value.values()
            ):
                out.append("expect_state.users must map emails to a tier or null")
        elif key == "pool":
            if not isinstance(value, Mapping):
                out.append("expect_state.pool must map tiers to {total|assigned|available: n}")
                continue
            for tier, fields in value.items():
                if not isinstance(fields, Mapping) or not fields:
                    out.append(
                        f"expect_state.pool.{tier} must be a mapping of {'|'.join(POOL_FIELDS)} to numbers"
                    )
                    continue
                for name, n in fields.items():
                    if name not in POOL_FIELDS or not _number(n):
                        out.append(
                            f"expect_state.pool.{tier}.{name}: want one of {', '.join(POOL_FIELDS)} with a number"
                        )
        elif key == "ledger_delta":
            if not isinstance(value, Mapping) or not all(_number(v) for v in value.values()):
                out.append(
                    "expect_state.ledger_delta must map ledger kinds (purchase, removal, upgrade) to counts"
                )
        elif not _number(value):
            out.append(f"expect_state.{key} must be a number")
    return out


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _same(a: Any, b: Any) -> bool:
    if _number(a) and _number(b):
        return abs(float(a) - float(b)) < 0.005  # money is in cents
    return bool(a == b)


def _licenses(state: Mapping[str, Any]) -> dict[str, Any]:
    return {u["email"]: u.get("license") for u in state.get("users", [])}


def _new_ledger(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    seen = {e["id"] for e in before.get("ledger", [])}
    return [e for e in after.get("ledger", []) if e["id"] not in seen]


def check(expect: Mapping[str, Any], before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Mismatch]:
    """Every way `after` (and its difference from `before`) departs from `expect`."""
    out: list[Mismatch] = []
    licenses = _licenses(after)
    for email, tier in (expect.get("users") or {}).items():
        found = licenses.get(email, ABSENT)
        if tier == GONE:
            if found != ABSENT:
                out.append(Mismatch(f"users.{email}", "no such user", f"the user exists ({_show(found)})"))
            continue
        if found == ABSENT or not _same(found, tier):
            out.append(
                Mismatch(f"users.{email}", _show(tier), "no such user" if found == ABSENT else _show(found))
            )
    pool = after.get("pool", {})
    for tier, fields in (expect.get("pool") or {}).items():
        for name, n in fields.items():
            found = pool.get(tier, {}).get(name, ABSENT)
            if not _same(found, n):
                out.append(Mismatch(f"pool.{tier}.{name}", _show(n), _show(found)))
    if "monthly_bill" in expect and not _same(after.get("monthly_bill"), expect["monthly_bill"]):
        out.append(Mismatch("monthly_bill", _show(expect["monthly_bill"]), _show(after.get("monthly_bill"))))
    if "monthly_bill_delta" in expect:
        delta = round(float(after.get("monthly_bill", 0)) - float(before.get("monthly_bill", 0)), 2)
        if not _same(delta, expect["monthly_bill_delta"]):
            note = f"{_show(before.get('monthly_bill'))} -> {_show(after.get('monthly_bill'))}"
            out.append(
                Mismatch("monthly_bill_delta", _show(expect["monthly_bill_delta"]), _show(delta), note)
            )
    if "ledger_delta" in expect:
        new = _new_ledger(before, after)
        for kind, n in expect["ledger_delta"].items():
            count = sum(1 for e in new if e.get("kind") == kind)
            if not _same(count, n):
                out.append(Mismatch(f"ledger_delta.{kind}", _show(n), _show(count)))
    return out + no_new_free_licenses(expect, before, after)


def no_new_free_licenses(
    expect: Mapping[str, Any], before: Mapping[str, Any], after: Mapping[str, Any]
) -> list[Mismatch]:
    """A tier with more free licenses than before, unless the example states its `available`."""
    stated = {tier for tier, fields in (expect.get("pool") or {}).items() if "available" in fields}
    out = []
    for tier, fields in after.get("pool", {}).items():
        was = before.get("pool", {}).get(tier, {}).get("available", 0)
        if tier not in stated and fields.get("available", 0) > was:
            out.append(
                Mismatch(
                    f"pool.{tier}.available",
                    f"<= {_show(was)}",
                    _show(fields["available"]),
                    f"a free license stays billable; state pool.{tier}.available if the runbook buys licenses",
                )
            )
    return out


def unchanged(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Mismatch]:
    """A refused run changes nothing: users' licenses, the pool and the ledger are as they were."""
    out: list[Mismatch] = []
    old, new = _licenses(before), _licenses(after)
    for email in sorted(set(old) | set(new)):
        if old.get(email, ABSENT) != new.get(email, ABSENT):
            out.append(
                Mismatch(
                    f"users.{email}",
                    _show(old.get(email, ABSENT)),
                    _show(new.get(email, ABSENT)),
                    "unchanged",
                )
            )
    for tier in sorted(set(before.get("pool", {})) | set(after.get("pool", {}))):
        for name in POOL_FIELDS:
            was = before.get("pool", {}).get(tier, {}).get(name, ABSENT)
            now = after.get("pool", {}).get(tier, {}).get(name, ABSENT)
            if not _same(was, now):
                out.append(Mismatch(f"pool.{tier}.{name}", _show(was), _show(now), "unchanged"))
    new_entries = _new_ledger(before, after)
    if new_entries:
        kinds = ", ".join(f"{e.get('kind')} {e.get('tier')} × {e.get('quantity')}" for e in new_entries)
        out.append(Mismatch("ledger", "no new entry", kinds, "unchanged"))
    return out


def table(mismatches: Sequence[Mismatch]) -> str:
    """A small aligned table: key, expected, found (and a note)."""
    rows = [("key", "expected", "found", "")] + [(m.key, m.expected, m.found, m.note) for m in mismatches]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = []
    for r in rows:
        line = "  ".join(r[i].ljust(widths[i]) for i in range(3))
        lines.append((line + ("  " + r[3] if r[3] else "")).rstrip())
    return "\n".join(lines)
