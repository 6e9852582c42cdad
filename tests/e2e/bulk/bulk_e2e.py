"""Helpers of the bulk e2e tests: the CLI in a subprocess (it is SIGKILLed in the crash tests, and a
browser-driving CLI should not share the portal's GIL), CSVs, ground truth from `/_test/state`,
the journal. (A module of its own: test modules must not import `conftest`, whose name other
test folders share.)"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fake_portal.provider import TEST_CARD
from fake_portal.testing import PortalServer

TOKEN = "bulk-e2e"
ROOT = Path(__file__).resolve().parents[3]
ADMIN = "admin@acme.example"
PRICES = {"Eco": 9, "Advanced": 19, "Pro": 29}


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


def cli(args: Sequence[str], *, env: dict[str, str] | None = None, timeout: float = 300) -> CliResult:
    proc = subprocess.run(
        [sys.executable, "-m", "executor.cli", *args],
        cwd=ROOT,
        # The French portal's card form takes the fake payment provider's test card.
        env={**os.environ, "CI": "1", "PORTAL_CARD_NUMBER": TEST_CARD, **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def bulk_args(portal: PortalServer, csv: Path, run_dir: Path, *extra: str) -> list[str]:
    return [
        "run", "downgrade_license", "--input", str(csv), "--base-url", portal.url, "--login-as", ADMIN,
        "--run-dir", str(run_dir), "--trace", "off", *extra,
    ]  # fmt: skip


def write_csv(path: Path, rows: Sequence[tuple[str, str]]) -> Path:
    path.write_text("email,target_tier\n" + "".join(f"{e},{t}\n" for e, t in rows), encoding="utf-8")
    return path


def users_of(state: dict[str, Any]) -> dict[str, str | None]:
    return {u["email"]: u["license"] for u in state["users"]}


def purchases(state: dict[str, Any]) -> dict[str, int]:
    out: dict[str, int] = {}
    for entry in state["ledger"]:
        if entry["kind"] == "purchase":
            out[entry["tier"]] = out.get(entry["tier"], 0) + entry["quantity"]
    return out


def journal_rows(run_dir: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(run_dir / "journal.sqlite")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def changed_rows(run_dir: Path) -> int:
    """Rows the run has changed so far; 0 while the journal is being created (a run in progress)."""
    if not (run_dir / "journal.sqlite").exists():
        return 0
    try:
        return int(journal_rows(run_dir, "SELECT COUNT(*) FROM rows WHERE status = 'changed'")[0][0])
    except sqlite3.Error:  # the file exists, its tables not yet
        return 0
