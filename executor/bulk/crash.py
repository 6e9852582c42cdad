"""Test-only crash points: `RUNBOOK_CRASH_AT` makes the runner SIGKILL itself at a named moment.

The crash-and-resume tests need kills at exact places (right after a "Pay" click, before its
outcome is journaled), which a timer cannot hit. Points are named `<moment>:<kind>`:

    intent:purchase          the intent of a purchase is committed; the click has not happened
    before-outcome:purchase  "Pay" was clicked and its checks passed; the outcome is not written
    outcome:purchase         the outcome is committed
    (outcomes decided by reading the portal on a resume have no crash points)
    (same for reassign, remove, step), and
    planned                  the plan is written; no operation has started
    row-finished             a row's final status is committed

`RUNBOOK_CRASH_AT=before-outcome:purchase` kills at the first such moment;
`before-outcome:reassign#3` at the third. Unset (always, outside tests) it costs one dict lookup.
"""

from __future__ import annotations

import os
import signal
import sys
from collections import Counter

ENV = "RUNBOOK_CRASH_AT"
_seen: Counter[str] = Counter()


def point(name: str) -> None:
    wanted = os.environ.get(ENV)
    if not wanted:
        return
    target, _, nth = wanted.partition("#")
    if name != target:
        return
    _seen[name] += 1
    if _seen[name] == (int(nth) if nth else 1):
        sys.stderr.write(f"crash point {wanted}: SIGKILL\n")
        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGKILL)
