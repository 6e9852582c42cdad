"""The SQLite store: schema, connections and transactions.

Every business operation runs in one `write()` transaction (BEGIN IMMEDIATE), so parallel browser
contexts are serialised by SQLite itself and cannot oversell the pool. Connections are per thread.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

Clock = Callable[[], float]

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS account (
    id INTEGER PRIMARY KEY CHECK (id = 1), name TEXT NOT NULL, card TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS domains (domain TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'standard')),
    two_factor INTEGER NOT NULL DEFAULT 0,
    phone TEXT,
    created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS licenses (
    id INTEGER PRIMARY KEY,
    tier TEXT NOT NULL CHECK (tier IN ('Eco', 'Advanced', 'Pro')),
    user_id INTEGER UNIQUE REFERENCES users (id),
    acquired_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS ledger (
    id INTEGER PRIMARY KEY, at REAL NOT NULL, actor TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('purchase', 'upgrade', 'removal')),
    tier TEXT NOT NULL, quantity INTEGER NOT NULL, amount_cents INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY, at REAL NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
    target TEXT NOT NULL, detail TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY, at REAL NOT NULL, recipient TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('email', 'sms')),
    subject TEXT NOT NULL, body TEXT NOT NULL, link TEXT, code TEXT);
CREATE TABLE IF NOT EXISTS captchas (
    client_id TEXT PRIMARY KEY, digits TEXT NOT NULL, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS login_tokens (
    token TEXT PRIMARY KEY, nonce TEXT NOT NULL, email TEXT NOT NULL,
    created_at REAL NOT NULL, used INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, user_id INTEGER NOT NULL, stage TEXT NOT NULL CHECK (stage IN ('code', 'active')),
    sms_code TEXT, created_at REAL NOT NULL, last_seen REAL NOT NULL,
    flash TEXT NOT NULL DEFAULT '[]', import_report TEXT);
CREATE TABLE IF NOT EXISTS cart_lines (
    id INTEGER PRIMARY KEY, session_id TEXT NOT NULL, tier TEXT NOT NULL, quantity INTEGER NOT NULL);
-- Card payments redeemed through the payment provider (fr-ca): once each. Never a card number.
CREATE TABLE IF NOT EXISTS payments (
    id TEXT PRIMARY KEY, order_id TEXT NOT NULL UNIQUE, at REAL NOT NULL,
    amount_cents INTEGER NOT NULL, card_last4 TEXT NOT NULL CHECK (length(card_last4) = 4));
"""

# Wiped by a reset; `meta` survives so that cookies signed before the reset stay verifiable.
DATA_TABLES = (
    "payments",
    "cart_lines",
    "sessions",
    "login_tokens",
    "captchas",
    "outbox",
    "audit",
    "ledger",
    "licenses",
    "users",
    "domains",
    "account",
)


class Tx:
    """One open transaction with the time it started, so one operation sees a single 'now'."""

    def __init__(self, conn: sqlite3.Connection, now: float) -> None:
        self.conn = conn
        self.now = now

    @property
    def today(self) -> date:
        return datetime.fromtimestamp(self.now, UTC).date()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.conn.execute(sql, params).fetchone()
        return row

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, params).fetchall()

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else row[0]


class Database:
    def __init__(self, path: str, clock: Clock | None = None) -> None:
        self.path = path
        self.clock: Clock = clock or time.time
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        conn = self._conn()
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=15)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def write(self) -> Iterator[Tx]:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield Tx(conn, self.clock())
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[Tx]:
        conn = self._conn()
        conn.execute("BEGIN")
        try:
            yield Tx(conn, self.clock())
        finally:
            conn.execute("COMMIT")

    def wipe(self, tx: Tx) -> None:
        for table in DATA_TABLES:
            tx.execute(f"DELETE FROM {table}")  # noqa: S608 - table names are constants above

    def get_meta(self, tx: Tx, key: str) -> str | None:
        value = tx.scalar("SELECT value FROM meta WHERE key = ?", (key,))
        return None if value is None else str(value)

    def set_meta(self, tx: Tx, key: str, value: str) -> None:
        tx.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = ?",
            (key, value, value),
        )

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()


def iso(ts: float) -> str:
    """UTC, second precision, 'Z' suffix: the form /_test/* and the pages use."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
