"""The journal: the durable truth of a bulk run, in SQLite (WAL) in the run folder.

It drives resume: rows and their status, and for every destructive operation an *intent* written
before the act and an *outcome* after it. An intent without an outcome is an unknown outcome: the
runner reads the portal before deciding anything about it (executor.bulk.outcomes).

Every write is one transaction (`BEGIN IMMEDIATE` ... `COMMIT`) with `synchronous=FULL`, so a
SIGKILL at any instant leaves either nothing, the intent, or the intent and the outcome. Params are
stored redacted: a secret never reaches the journal.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from executor.bulk import crash

RowStatus = Literal["pending", "running", "changed", "unchanged", "failed", "attention", "skipped"]
OpKind = Literal["purchase", "reassign", "remove", "step"]
Outcome = Literal["done", "not_done", "failed"]
FINAL_ROW_STATUSES = ("changed", "unchanged", "failed", "attention", "skipped")

SCHEMA = """
CREATE TABLE IF NOT EXISTS run (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS rows (
    row INTEGER PRIMARY KEY, key TEXT NOT NULL, params TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending', reason TEXT, before TEXT, after TEXT,
    worker TEXT, attempts INTEGER NOT NULL DEFAULT 0,
    started REAL, finished REAL, artifacts TEXT
);
CREATE TABLE IF NOT EXISTS ops (
    id INTEGER PRIMARY KEY, kind TEXT NOT NULL, row INTEGER, tier TEXT, quantity INTEGER,
    phase TEXT, intent TEXT NOT NULL, intent_at REAL NOT NULL,
    outcome TEXT, outcome_detail TEXT, outcome_at REAL, verified INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY, at REAL NOT NULL, kind TEXT NOT NULL, row INTEGER, detail TEXT
);
CREATE INDEX IF NOT EXISTS ops_unknown ON ops (outcome) WHERE outcome IS NULL;
"""


@dataclass(frozen=True)
class RowRecord:
    row: int
    key: str
    params: Mapping[str, Any]
    status: RowStatus = "pending"
    reason: str | None = None
    before: str | None = None
    after: str | None = None
    worker: str | None = None
    attempts: int = 0
    started: float | None = None
    finished: float | None = None
    artifacts: str | None = None

    @property
    def final(self) -> bool:
        return self.status in FINAL_ROW_STATUSES


@dataclass(frozen=True)
class OpRecord:
    id: int
    kind: OpKind
    row: int | None
    tier: str | None
    quantity: int | None
    phase: str | None
    intent: Mapping[str, Any]
    intent_at: float
    outcome: Outcome | None
    outcome_detail: str | None
    outcome_at: float | None
    verified: bool

    @property
    def unknown(self) -> bool:
        return self.outcome is None


class Journal:
    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn = conn

    @classmethod
    def open(cls, path: Path) -> Journal:
        path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, one transaction per write.
        conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.executescript(SCHEMA)
        return cls(path, conn)

    def close(self) -> None:
        self._conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    # --- run ----------------------------------------------------------------------------------

    def set_run(self, values: Mapping[str, Any]) -> None:
        with self._write() as db:
            db.executemany(
                "INSERT INTO run (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [(k, json.dumps(v)) for k, v in values.items()],
            )

    def run_value(self, key: str, default: Any = None) -> Any:
        row = self._conn.execute("SELECT value FROM run WHERE key = ?", (key,)).fetchone()
        return json.loads(row["value"]) if row else default

    # --- rows ---------------------------------------------------------------------------------

    def add_rows(self, rows: Sequence[RowRecord]) -> None:
        """The input's rows, once, when the run is created (one transaction for all)."""
        with self._write() as db:
            db.executemany(
                "INSERT INTO rows (row, key, params, status, reason, before) VALUES (?, ?, ?, ?, ?, ?)",
                [(r.row, r.key, json.dumps(dict(r.params)), r.status, r.reason, r.before) for r in rows],
            )

    def start_row(self, row: int, worker: str) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE rows SET status = 'running', worker = ?, attempts = attempts + 1,"
                " started = COALESCE(started, ?) WHERE row = ?",
                (worker, time.time(), row),
            )

    def finish_row(
        self,
        row: int,
        status: RowStatus,
        reason: str | None = None,
        *,
        before: str | None = None,
        after: str | None = None,
        artifacts: str | None = None,
    ) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE rows SET status = ?, reason = ?, before = COALESCE(?, before),"
                " after = COALESCE(?, after), artifacts = COALESCE(?, artifacts), finished = ? WHERE row = ?",
                (status, reason, before, after, artifacts, time.time(), row),
            )
        crash.point("row-finished")

    def set_row_status(self, row: int, status: RowStatus, reason: str | None = None) -> None:
        """A status that is not final (back to pending for a retry, ...)."""
        with self._write() as db:
            db.execute("UPDATE rows SET status = ?, reason = ? WHERE row = ?", (status, reason, row))

    def rows(self, *statuses: RowStatus) -> list[RowRecord]:
        sql = "SELECT * FROM rows"
        args: tuple[Any, ...] = ()
        if statuses:
            sql += f" WHERE status IN ({','.join('?' * len(statuses))})"
            args = statuses
        return [_row(r) for r in self._conn.execute(sql + " ORDER BY row", args)]

    def row(self, number: int) -> RowRecord:
        found = self._conn.execute("SELECT * FROM rows WHERE row = ?", (number,)).fetchone()
        if found is None:
            raise KeyError(number)
        return _row(found)

    def row_counts(self) -> dict[str, int]:
        return {
            r["status"]: r["n"]
            for r in self._conn.execute("SELECT status, COUNT(*) AS n FROM rows GROUP BY status")
        }

    # --- operations -------------------------------------------------------------------------

    def record_intent(
        self,
        kind: OpKind,
        intent: Mapping[str, Any],
        *,
        row: int | None = None,
        tier: str | None = None,
        quantity: int | None = None,
        phase: str | None = None,
    ) -> int:
        """Written just before a destructive act; returns the operation's id."""
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO ops (kind, row, tier, quantity, phase, intent, intent_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (kind, row, tier, quantity, phase, json.dumps(dict(intent)), time.time()),
            )
            op_id = int(cursor.lastrowid or 0)
        crash.point(f"intent:{kind}")
        return op_id

    def record_outcome(self, op_id: int, outcome: Outcome, detail: str = "", *, verified: bool = False) -> None:
        # Crash points only for outcomes seen on the page ("right after the Pay click"), not for
        # those decided by reading the portal.
        kind = "" if verified else self.op(op_id).kind
        if kind:
            crash.point(f"before-outcome:{kind}")
        with self._write() as db:
            db.execute(
                "UPDATE ops SET outcome = ?, outcome_detail = ?, outcome_at = ?, verified = ? WHERE id = ?",
                (outcome, detail, time.time(), int(verified), op_id),
            )
        if kind:
            crash.point(f"outcome:{kind}")

    def op(self, op_id: int) -> OpRecord:
        found = self._conn.execute("SELECT * FROM ops WHERE id = ?", (op_id,)).fetchone()
        if found is None:
            raise KeyError(op_id)
        return _op(found)

    def ops(self, kind: OpKind | None = None, *, row: int | None = None) -> list[OpRecord]:
        sql, args = "SELECT * FROM ops WHERE 1 = 1", []
        if kind is not None:
            sql, args = sql + " AND kind = ?", [*args, kind]
        if row is not None:
            sql, args = sql + " AND row = ?", [*args, row]
        return [_op(r) for r in self._conn.execute(sql + " ORDER BY id", args)]

    def unknown_ops(self) -> list[OpRecord]:
        return [_op(r) for r in self._conn.execute("SELECT * FROM ops WHERE outcome IS NULL ORDER BY id")]

    # --- events -------------------------------------------------------------------------------

    def event(self, kind: str, detail: str = "", *, row: int | None = None) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO events (at, kind, row, detail) VALUES (?, ?, ?, ?)", (time.time(), kind, row, detail)
            )

    def events(self, limit: int = 20) -> list[tuple[float, str, int | None, str]]:
        found = self._conn.execute(
            "SELECT at, kind, row, detail FROM events ORDER BY id DESC LIMIT ?", (limit,)
        ).fetchall()
        return [(r["at"], r["kind"], r["row"], r["detail"] or "") for r in reversed(found)]

    def count_events(self, kind: str) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM events WHERE kind = ?", (kind,)).fetchone()[0])


def _row(r: sqlite3.Row) -> RowRecord:
    return RowRecord(
        row=r["row"],
        key=r["key"],
        params=json.loads(r["params"]),
        status=r["status"],
        reason=r["reason"],
        before=r["before"],
        after=r["after"],
        worker=r["worker"],
        attempts=r["attempts"],
        started=r["started"],
        finished=r["finished"],
        artifacts=r["artifacts"],
    )


def _op(r: sqlite3.Row) -> OpRecord:
    return OpRecord(
        id=r["id"],
        kind=r["kind"],
        row=r["row"],
        tier=r["tier"],
        quantity=r["quantity"],
        phase=r["phase"],
        intent=json.loads(r["intent"]),
        intent_at=r["intent_at"],
        outcome=r["outcome"],
        outcome_detail=r["outcome_detail"],
        outcome_at=r["outcome_at"],
        verified=bool(r["verified"]),
    )
