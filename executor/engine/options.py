"""How a job runs: timeouts, evidence, the hooks a bulk run injects, the locale of numbers."""

from __future__ import annotations

import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from executor.engine.evidence import CaptureSettings
from executor.engine.trace_file import TraceMode
from executor.model.runbook import Step
from executor.redaction import Redactor

ScreenshotPolicy = Literal["every_step", "on_failure", "off"]
# Which of the catalogue's signatures (`selectors/portal.yaml`) means the session is gone, checked
# after every step: `logged_out` (the portal says the session expired) or `login_page` (any visit
# to the sign-in page: a bulk worker's jobs never go there). None: never checked.
LoggedOutCheck = Literal["logged_out", "login_page"]
# Awaited with (step id, evaluated step) just before an action runs, after its `when` held, on
# every attempt: a bulk run's rate limit and pause gate, and the journal's intent before a
# destructive act (an exception here fails the step without acting).
BeforeAction = Callable[[str, Step], Awaitable[None]]


def interactive_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty() and not os.environ.get("CI")


@dataclass(frozen=True)
class EngineOptions:
    action_timeout_ms: int = 10_000
    assertion_timeout_ms: int = 5_000
    screenshots: ScreenshotPolicy = "every_step"
    capture: CaptureSettings = field(default_factory=CaptureSettings)
    trace: TraceMode = "retain-on-failure"
    # DOM snapshots, network and screencast in the trace (see executor.engine.trace_file)
    trace_snapshots: bool = True
    session_check: LoggedOutCheck | None = "logged_out"
    headed: bool = False
    interactive: bool | None = None  # None: a terminal and not CI
    slow_mo_ms: int = 0
    redactor: Redactor = field(default_factory=Redactor)
    # Resolve destructive steps' locators without acting (their assertions are not checked); never
    # accept a native dialog.
    dry_run: bool = False
    before_action: BeforeAction | None = None
    # The locale numbers are read in (`--locale`); None: the catalogue's, else en-CA.
    locale: str | None = None

    def is_interactive(self) -> bool:
        return interactive_terminal() if self.interactive is None else self.interactive
