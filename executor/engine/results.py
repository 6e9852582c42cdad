"""What a job leaves behind: its result, and the one error that stops it at once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from executor.events import JobStatus, StepFinished

SESSION_EXPIRED_MESSAGE = "session expired: run `runbook login` again"


class SessionExpired(Exception):
    def __init__(self, message: str = SESSION_EXPIRED_MESSAGE) -> None:
        super().__init__(message)


@dataclass(frozen=True)
class JobResult:
    job_id: str
    runbook: str
    status: JobStatus
    steps: tuple[StepFinished, ...]
    duration_ms: float
    artifacts_dir: Path
    error: str | None = None
    failed_step: str | None = None
    session_expired: bool = False
    outputs: Mapping[str, Any] = field(default_factory=dict)  # redacted
    trace: Path | None = None
    done: str | None = None  # a `done` step ended the job: its message (the effect already held)
    # Destructive steps that were performed before the job failed (titles): the money moved.
    performed: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return self.status != "failed"
