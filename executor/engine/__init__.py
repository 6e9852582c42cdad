"""The engine: walks a plan on a page in a real browser and leaves evidence for every step.

Its parts: `job` (one plan, step by step: the policies), `step_run` (what an action sees of its
step), `locate` (catalogue entry -> one strict Locator), `conditions`, `dialogs`, `tabs`,
`navigation` (a postback finishes before the next step), `server_errors` (a 5xx page fails the
step at once), `signatures` (the catalogue's logged-out page), `evidence` (screenshots, the page
at a failure), `trace_file`, `page_state` (what lives as long as a page). Callers (`run_api`,
`session`, `bulk`, the pytest plugin) use what is exported here.
"""

from executor.engine.evidence import CaptureSettings
from executor.engine.job import Job
from executor.engine.options import BeforeAction, EngineOptions, LoggedOutCheck, ScreenshotPolicy
from executor.engine.results import SESSION_EXPIRED_MESSAGE, JobResult, SessionExpired
from executor.engine.trace_file import TraceMode

__all__ = [
    "SESSION_EXPIRED_MESSAGE",
    "BeforeAction",
    "CaptureSettings",
    "EngineOptions",
    "Job",
    "JobResult",
    "LoggedOutCheck",
    "ScreenshotPolicy",
    "SessionExpired",
    "TraceMode",
]
