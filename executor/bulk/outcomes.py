"""Exactly-once: what to conclude about an operation whose outcome is unknown.

An operation has an intent (what was about to be done, with the state read just before) and no
outcome: the process died, the answer was lost (HTTP 502), the session expired mid-click. Clicking
again could buy twice. These pure functions decide from the intent and a fresh read of the portal:

- done:      the portal shows the effect: record it, never repeat it;
- not_done:  the portal shows the state from before: it is safe to try again;
- attention: anything else (someone else changed the pool, a count moved by another amount):
             a person must look; the run stops touching that tier or row.

They are the whole decision (no browser, no journal), so they are tested exhaustively.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Decision = Literal["done", "not_done", "attention"]


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    reason: str


def pool_change(kind: str, intent: Mapping[str, Any], total_now: int) -> Verdict:
    """A purchase adds `quantity` to the tier's total; a removal takes them away."""
    before = int(intent["total_before"])
    quantity = int(intent["quantity"])
    tier = intent.get("tier", "?")
    expected = before + quantity if kind == "purchase" else before - quantity
    if total_now == expected:
        return Verdict("done", f"{tier} total went from {before} to {total_now}: the {kind} happened")
    if total_now == before:
        return Verdict("not_done", f"{tier} total is still {before}: the {kind} did not happen")
    return Verdict(
        "attention",
        f"{tier} total is {total_now}; expected {before} (not done) or {expected} (done): "
        "the pool changed some other way",
    )


def reassignment(intent: Mapping[str, Any], tier_now: str | None, user_exists: bool = True) -> Verdict:
    """A reassignment moves the user from `from` to `to`."""
    email, old, new = intent.get("email", "?"), intent["from"], intent["to"]
    if not user_exists:
        return Verdict("attention", f"{email} is no longer in the users table")
    if tier_now == new:
        return Verdict("done", f"{email} holds {new}: the reassignment happened")
    if tier_now == old:
        return Verdict("not_done", f"{email} still holds {old}: the reassignment did not happen")
    return Verdict("attention", f"{email} holds {tier_now or 'no license'}, neither {old} nor {new}")


def generic_step(intent: Mapping[str, Any]) -> Verdict:
    """A destructive step of an arbitrary runbook: nothing tells whether it happened."""
    return Verdict(
        "attention",
        f"step {intent.get('step_id', '?')} '{intent.get('title', '')}' may or may not have happened; "
        "check the portal, then mark the row",
    )


def decide(kind: str, intent: Mapping[str, Any], state: Mapping[str, Any]) -> Verdict:
    """Dispatch on the operation's kind. `state`: {"total": int} for pool operations,
    {"tier": str | None, "exists": bool} for a reassignment, {} for a generic step."""
    if kind in ("purchase", "remove"):
        return pool_change(kind, intent, int(state["total"]))
    if kind == "reassign":
        return reassignment(intent, state.get("tier"), bool(state.get("exists", True)))
    return generic_step(intent)
