"""What the engine tells the world: frozen event dataclasses and a small synchronous bus.

The engine publishes; the console, the JSON log, JUnit, the HTML report (and later the journal and
the pytest plugin) subscribe. Events carry plain, already-redacted data (strings, numbers, tuples,
mappings): a listener never needs the browser, and never sees a secret.
"""

from __future__ import annotations

import dataclasses
import functools
import time
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, Union

import structlog

from executor.redaction import Redactor

StepStatus = Literal["passed", "failed", "skipped", "warned"]
JobStatus = Literal["passed", "failed", "warned"]
AssertionStatus = Literal["passed", "failed", "not_checked"]

_log = structlog.get_logger("executor.events")


def now() -> float:
    return time.time()


# --- parts of events -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LocatorMatch:
    """Which catalogue candidate found the element: drift shows as "fallback 2 of 3"."""

    entry: str
    target: str  # the entry with its args, `users.row(email=a@b.c)`
    candidate_index: int  # 0-based
    candidate_count: int
    description: str  # the candidate, `role=button name='Pay'`
    fallback: bool

    @property
    def label(self) -> str:
        return (
            f"fallback {self.candidate_index + 1} of {self.candidate_count}"
            if self.fallback
            else "first candidate"
        )


@dataclass(frozen=True)
class AssertionResult:
    kind: str
    expected: str  # "licenses.total text contains '27.00'"
    status: AssertionStatus
    target: str | None = None
    message: str | None = None  # the runbook's own words for a failure
    error: str | None = None  # what was found instead
    source: str = ""
    match: LocatorMatch | None = None
    duration_ms: float = 0.0


@dataclass(frozen=True)
class Artifact:
    kind: Literal["screenshot", "html", "aria", "trace", "extra", "download"]
    path: str  # absolute path on disk
    label: str = ""
    size: int | None = None  # bytes (downloads)
    sha256: str | None = None  # downloads


@dataclass(frozen=True)
class DialogSeen:
    """A native dialog (alert, confirm, prompt, beforeunload) and how the engine answered it."""

    type: str
    message: str
    answer: Literal["accepted", "dismissed"]
    declared: bool  # the step declared it (`dialog:`); an undeclared one fails the step
    prompt: str | None = None  # the text typed into a prompt (redacted when secret)
    note: str = ""  # why it was dismissed: "not declared", "dry run", "message did not match ..."

    def describe(self) -> str:
        text = f"{self.type} {self.message!r} {self.answer}"
        if self.prompt is not None:
            text += f" with {self.prompt!r}"
        return text + (f" ({self.note})" if self.note else "")


@dataclass(frozen=True)
class Timings:
    act_ms: float = 0.0
    assert_ms: float = 0.0
    screenshot_ms: float = 0.0
    total_ms: float = 0.0


# --- the events ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunStarted:
    run_id: str
    base_url: str
    job_count: int
    artifacts_dir: str
    at: float = field(default_factory=now)


@dataclass(frozen=True)
class JobStarted:
    run_id: str
    job_id: str
    runbook: str
    runbook_path: str
    base_url: str
    params: Mapping[str, Any]  # redacted
    step_count: int
    artifacts_dir: str
    at: float = field(default_factory=now)


@dataclass(frozen=True)
class StepStarted:
    job_id: str
    step_id: str
    title: str
    action: str
    source: str  # file:line:col
    depth: int = 0  # 1 for a step of a `use`d sub-runbook, ...
    at: float = field(default_factory=now)


@dataclass(frozen=True)
class StepRetrying:
    job_id: str
    step_id: str
    attempt: int  # the attempt that failed, 1-based
    error: str
    at: float = field(default_factory=now)


@dataclass(frozen=True)
class OperatorPrompt:
    """`pause_for_operator`: a person must act in the headed browser."""

    job_id: str
    step_id: str
    message: str
    timeout_ms: int
    at: float = field(default_factory=now)


@dataclass(frozen=True)
class StepFinished:
    job_id: str
    step_id: str
    title: str
    action: str
    source: str
    status: StepStatus
    runbook: str = ""
    target: str | None = None
    depth: int = 0
    chain: tuple[str, ...] = ()  # the `use` steps that led here (file:line:col), outermost first
    reason: str | None = None  # why skipped / warned
    error: str | None = None  # the full, located, redacted error message
    yaml: str = ""  # the evaluated, redacted step as YAML (failed and warned steps), for failure reports
    step: Mapping[str, Any] = field(default_factory=dict)  # the evaluated, redacted step model
    timings: Timings = Timings()
    matches: tuple[LocatorMatch, ...] = ()
    assertions: tuple[AssertionResult, ...] = ()
    artifacts: tuple[Artifact, ...] = ()
    variables: Mapping[str, Any] = field(default_factory=dict)  # vars this step set (redacted)
    attempts: int = 1
    destructive: bool = False
    notes: tuple[str, ...] = ()
    dialogs: tuple[DialogSeen, ...] = ()  # native dialogs raised while the step ran, and the answers
    rounds: int | None = None  # `repeat`: the rounds its steps ran
    at: float = field(default_factory=now)

    @property
    def screenshot(self) -> str | None:
        return next((a.path for a in self.artifacts if a.kind == "screenshot"), None)

    @property
    def location(self) -> str:
        """`file:line` (no column), the form reports show."""
        return self.source.rsplit(":", 1)[0] if self.source.count(":") >= 2 else self.source


@dataclass(frozen=True)
class JobFinished:
    run_id: str
    job_id: str
    runbook: str
    status: JobStatus
    duration_ms: float
    counts: Mapping[str, int]  # step status -> number (top-level and nested steps)
    error: str | None = None
    failed_step: str | None = None  # step id
    session_expired: bool = False
    outputs: Mapping[str, Any] = field(default_factory=dict)  # redacted
    not_run: tuple[str, ...] = ()  # titles of the steps after a failure
    artifacts: tuple[Artifact, ...] = ()  # job-level: the trace
    artifacts_dir: str = ""
    done: str | None = None  # a `done` step ended the job early: its message
    # A failed job's destructive steps that went through, or may have ("'Pay' was performed"):
    # the portal changed (money moved) before the failure, so running again is not safe blindly.
    performed: tuple[str, ...] = ()
    at: float = field(default_factory=now)

    def performed_warning(self) -> str | None:
        """The plain words a person must read before running the job again."""
        if not self.performed:
            return None
        return f"{'; '.join(self.performed)}; the check after it failed: look at the portal before running again"


@dataclass(frozen=True)
class RunFinished:
    run_id: str
    status: JobStatus
    duration_ms: float
    jobs: Mapping[str, int]  # job status -> number
    at: float = field(default_factory=now)


Event = (
    RunStarted
    | JobStarted
    | StepStarted
    | StepRetrying
    | OperatorPrompt
    | StepFinished
    | JobFinished
    | RunFinished
)


EVENT_TYPES: dict[str, type[Any]] = {cls.__name__: cls for cls in typing.get_args(Event)}


def event_name(event: Event) -> str:
    return type(event).__name__


def to_dict(event: Event) -> dict[str, Any]:
    """Plain data for JSON (logs, journals): `{"event": "StepFinished", ...fields}`."""
    return {"event": event_name(event), **dataclasses.asdict(event)}


class EventDecodeError(ValueError):
    """A mapping that is not an event `to_dict` wrote; the message names the field (`StepFinished.timings.act_ms`)."""


def from_dict(data: Mapping[str, Any]) -> Event:
    """The event `to_dict` made `data` from, after a trip through JSON (lists back to tuples,
    nested dataclasses rebuilt). Keys it does not know are ignored (a JSON log line's `level`,
    a newer writer's additions); a missing field takes its default.

    Raises EventDecodeError: no or an unknown `event` name, a missing required field, a value of
    the wrong type.
    """
    name = data.get("event") if isinstance(data, Mapping) else None
    kind = EVENT_TYPES.get(name) if isinstance(name, str) else None
    if kind is None:
        known = ", ".join(EVENT_TYPES)
        raise EventDecodeError(f"not an event: 'event' is {name!r}, not one of {known}")
    return _decode_dataclass(kind, data, kind.__name__)  # type: ignore[no-any-return]


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _decode_dataclass(cls: type, data: Any, where: str) -> Any:
    if not isinstance(data, Mapping):
        raise EventDecodeError(f"{where}: expected an object, got {type(data).__name__}")
    hints = _hints(cls)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name in data:
            values[f.name] = _decode(hints[f.name], data[f.name], f"{where}.{f.name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise EventDecodeError(f"{where}: the field '{f.name}' is missing")
    return cls(**values)


def _decode(hint: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if hint is Any:
        return value
    if origin in (Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        return _decode(next(o for o in options if o is not type(None)), value, where)
    if origin is Literal:
        if value not in typing.get_args(hint):
            raise EventDecodeError(f"{where}: {value!r} is not one of {', '.join(map(repr, typing.get_args(hint)))}")
        return value
    if origin is tuple:
        item = typing.get_args(hint)[0]
        if not isinstance(value, (list, tuple)):
            raise EventDecodeError(f"{where}: expected a list, got {type(value).__name__}")
        return tuple(_decode(item, v, f"{where}[{i}]") for i, v in enumerate(value))
    if origin is not None and issubclass(origin, Mapping):
        if not isinstance(value, Mapping):
            raise EventDecodeError(f"{where}: expected an object, got {type(value).__name__}")
        return dict(value)
    if dataclasses.is_dataclass(hint):
        return _decode_dataclass(hint, value, where)  # type: ignore[arg-type]
    if hint is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(hint, type) and not isinstance(value, hint) or (hint is int and isinstance(value, bool)):
        raise EventDecodeError(f"{where}: expected {hint.__name__}, got {type(value).__name__}")
    return value


def redact_event(event: Any, redactor: Redactor) -> Any:
    """A copy of a (nested) event dataclass with every secret in its strings masked."""
    if not redactor:
        return event
    if dataclasses.is_dataclass(event) and not isinstance(event, type):
        changes = {f.name: redact_event(getattr(event, f.name), redactor) for f in dataclasses.fields(event)}
        return dataclasses.replace(event, **changes)
    if isinstance(event, tuple):
        return tuple(redact_event(v, redactor) for v in event)
    return redactor.redact_obj(event)


# --- the bus -------------------------------------------------------------------------------------


class Listener(Protocol):
    def on_event(self, event: Event) -> None: ...


class Bus:
    """Synchronous fan-out, in subscription order.

    A listener that raises is logged and kept out of the run's way: a broken report must not
    abort a job halfway through a purchase. `errors` keeps them for whoever wants to check.
    """

    def __init__(self, listeners: Iterable[Listener] = ()) -> None:
        self._listeners: list[Listener] = list(listeners)
        self.errors: list[tuple[Listener, Event, BaseException]] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        self._listeners.remove(listener)

    def emit(self, event: Event) -> None:
        for listener in self._listeners:
            try:
                listener.on_event(event)
            except Exception as err:  # noqa: BLE001 - a listener bug must not stop the run (see class doc)
                self.errors.append((listener, event, err))
                _log.error(
                    "listener_failed",
                    listener=type(listener).__name__,
                    for_event=event_name(event),
                    error=str(err),
                )


class Recorder:
    """A listener that keeps every event (tests, the pytest plugin, `run_plans`)."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def on_event(self, event: Event) -> None:
        self.events.append(event)

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]
