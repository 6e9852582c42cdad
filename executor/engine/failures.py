"""How a step's failure reads: `step 4 'Open the license page' (runbooks/x.yaml:31:5): <what was
expected, what was found>`. Built at the engine's boundary, which knows the step and its place."""

from __future__ import annotations

import re

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from executor.actions.base import ActionError
from executor.describe import target_of, title_of
from executor.engine.conditions import CannotCheck
from executor.engine.dialogs import DialogError
from executor.engine.locate import LocatorError
from executor.engine.results import SessionExpired
from executor.engine.server_errors import ServerError
from executor.engine.step_run import ChildFailed, LoopNotReached, StepRun
from executor.engine.tabs import TabError
from executor.errors import summarize
from executor.events import AssertionResult


class AssertionFailed(Exception):
    def __init__(self, result: AssertionResult) -> None:
        super().__init__(result.expected)
        self.result = result


# Their message is already the whole story (no Playwright call log to trim).
_PLAIN = (LocatorError, ActionError, ServerError, SessionExpired, DialogError, TabError, LoopNotReached, CannotCheck)


def located(run: StepRun, err: BaseException) -> str:
    where = f"step {run.planned.id} '{title_of(run.step)}' ({run.step.source})"
    return f"{where}: {detail(run, err)}"


def _cause(child_error: str) -> str:
    """A child's error without its own "step 2.1 'title' (file:line:col): " (said just before)."""
    head, sep, rest = child_error.partition("): ")
    return rest if sep and head.startswith("step ") else child_error


def detail(run: StepRun, err: BaseException) -> str:
    if isinstance(err, AssertionFailed):
        r = err.result
        what = f"expected {r.expected}: {r.error}"
        return f"{r.message} ({what})" if r.message else what
    if isinstance(err, ChildFailed):
        c = err.child
        if run.step.action == "repeat":
            where = f"round {c.step_id.rsplit('[', 1)[-1].split(']', 1)[0]}"
        else:
            where = f"sub-runbook {c.runbook}" if c.runbook else "sub-runbook"
        return f"{where} failed at step {c.step_id} '{c.title}' ({c.location}): {_cause(c.error or '')}"
    if isinstance(err, _PLAIN):
        return str(err)
    if isinstance(err, PlaywrightError):
        target = target_of(run.step)
        message = summarize(err.message)
        if isinstance(err, PlaywrightTimeoutError):
            # Playwright names the budget left after resolution; the author wrote the step's.
            message = re.sub(r"Timeout [\d.]+ms exceeded\.?", f"timed out after {run.budget_ms():.0f} ms", message)
        return f"{run.step.action}{' ' + target if target else ''}: {message}"
    if type(err).__name__ == "TemplateRenderError":
        return f"cannot evaluate the step: {err}"
    return f"{type(err).__name__}: {err}"
