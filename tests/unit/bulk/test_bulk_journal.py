"""The journal: one transaction per write, WAL, intents without outcomes survive a SIGKILL."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from executor.bulk.journal import Journal, RowRecord


def test_rows_ops_and_events_round_trip(tmp_path: Path) -> None:
    j = Journal.open(tmp_path / "journal.sqlite")
    j.add_rows([RowRecord(1, "a@x.test", {"user_email": "a@x.test"}), RowRecord(2, "b@x.test", {})])
    j.set_run({"plan_hash": "abc", "sessions": 1})
    j.start_row(1, "w1")
    op = j.record_intent("reassign", {"email": "a@x.test", "from": "Pro", "to": "Eco"}, row=1, phase="reassign")
    assert [o.id for o in j.unknown_ops()] == [op]
    j.record_outcome(op, "done", "seen", verified=True)
    j.finish_row(1, "changed", "Pro → Eco", before="Pro", after="Eco", artifacts="rows/1")
    j.event("info", "hello", row=1)
    assert j.unknown_ops() == []
    rec = j.row(1)
    assert (rec.status, rec.before, rec.after, rec.worker, rec.attempts) == ("changed", "Pro", "Eco", "w1", 1)
    assert j.op(op).verified and j.op(op).outcome == "done"
    assert j.row_counts() == {"changed": 1, "pending": 1}
    assert j.run_value("plan_hash") == "abc"
    assert j.events()[-1][1:] == ("info", 1, "hello")
    j.close()
    conn = sqlite3.connect(tmp_path / "journal.sqlite")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_sigkill_right_after_the_intent_leaves_the_intent_and_no_outcome(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from executor.bulk.journal import Journal
        j = Journal.open(Path({str(path)!r}))
        op = j.record_intent("purchase", {{"tier": "Eco", "quantity": 5, "total_before": 0}}, tier="Eco", quantity=5)
        j.record_outcome(op, "done")  # never reached
        """
    )
    env = {**os.environ, "RUNBOOK_CRASH_AT": "intent:purchase"}
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    j = Journal.open(path)
    [op] = j.ops()
    assert (op.kind, op.tier, op.quantity, op.outcome) == ("purchase", "Eco", 5, None)
    assert op.intent["total_before"] == 0


def test_the_nth_crash_point(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from executor.bulk.journal import Journal
        j = Journal.open(Path({str(path)!r}))
        for n in range(3):
            op = j.record_intent("reassign", {{"email": str(n)}})
            j.record_outcome(op, "done")
        """
    )
    env = {**os.environ, "RUNBOOK_CRASH_AT": "before-outcome:reassign#2"}
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL
    ops = Journal.open(path).ops()
    assert [o.outcome for o in ops] == ["done", None]
