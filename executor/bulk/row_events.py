"""Bulk-level events, published on the same bus as the engine's (the progress view, the JSON log).

Frozen dataclasses of plain data, like executor.events; listeners that do not know them ignore them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from executor.events import Bus


def _now() -> float:
    return time.time()


@dataclass(frozen=True)
class BulkStarted:
    run_dir: str
    rows: int  # rows this session will work on
    done_before: int  # rows already final (a resumed run)
    workers: int
    strategy: str
    at: float = field(default_factory=_now)


@dataclass(frozen=True)
class PhaseStarted:
    phase: str  # read | purchase | reassign | remove | rows | verify
    detail: str = ""
    at: float = field(default_factory=_now)


@dataclass(frozen=True)
class JobAssigned:
    """A worker starts a job (a row, or an operation such as a purchase)."""

    worker: str
    job_id: str
    label: str
    at: float = field(default_factory=_now)


@dataclass(frozen=True)
class RowFinished:
    row: int
    key: str
    status: str  # changed | unchanged | failed | attention | skipped
    reason: str = ""
    worker: str = ""
    at: float = field(default_factory=_now)


@dataclass(frozen=True)
class BulkNote:
    """Something the operator must see: a pause, a stop, a verification."""

    level: str  # info | warning | error
    message: str
    at: float = field(default_factory=_now)


BulkEvent = BulkStarted | PhaseStarted | JobAssigned | RowFinished | BulkNote


def publish(bus: Bus, event: BulkEvent) -> None:
    """Bulk events ride the engine's bus; its listeners dispatch on the type and ignore the rest."""
    emit: Any = bus.emit  # typed for the engine's events only
    emit(event)
