"""structlog setup: contextvars -> level -> timestamp -> redaction -> JSON (machines) or console (people).

Redaction is the last step before rendering, after tracebacks are formatted to text, so nothing a
processor adds can slip a secret past it. One pipeline (`processors`) serves the global setup
(`configure_logging`) and the per-run JSON lines file (`file_logger`, used by the log listener).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from executor.redaction import Redactor

Renderer = Callable[[WrappedLogger, str, EventDict], str | bytes]


def redaction(redactor: Redactor) -> Processor:
    """Mask every secret in every value (and key) of the event."""

    def redact(logger: WrappedLogger, method: str, event_dict: EventDict) -> EventDict:
        redacted = redactor.redact_obj(event_dict)
        assert isinstance(redacted, MutableMapping)
        return dict(redacted)

    return redact


def processors(redactor: Redactor) -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redaction(redactor),
    ]


def _dumps(obj: Any, **_: Any) -> str:
    return json.dumps(obj, default=str, ensure_ascii=False)


def json_renderer() -> Renderer:
    return structlog.processors.JSONRenderer(serializer=_dumps)


class SinkLogger:
    """Writes each (already processed) event to several streams, each with its own renderer:
    JSON lines to a file and a readable line to the terminal from one pipeline."""

    def __init__(self, sinks: list[tuple[TextIO, Renderer]]) -> None:
        self.sinks = sinks

    def msg(self, **event_dict: Any) -> None:
        for stream, render in self.sinks:
            line = render(self, "", dict(event_dict))
            stream.write((line.decode() if isinstance(line, bytes) else line) + "\n")
            stream.flush()

    debug = info = warning = warn = error = critical = exception = fatal = log = msg


_open_files: list[TextIO] = []


def configure_logging(
    json_path: Path | str | None, console: bool, redactor: Redactor, *, level: int = logging.INFO
) -> None:
    """Global structlog configuration for a run (the CLI calls it once)."""
    for f in _open_files:
        f.close()
    _open_files.clear()
    sinks: list[tuple[TextIO, Renderer]] = []
    if json_path is not None:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        stream = open(json_path, "a", encoding="utf-8")  # noqa: SIM115 - kept open for the run
        _open_files.append(stream)
        sinks.append((stream, json_renderer()))
    if console:
        sinks.append((sys.stderr, structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())))
    structlog.configure(
        processors=processors(redactor),
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=lambda *args: SinkLogger(sinks),
        cache_logger_on_first_use=False,
    )


def file_logger(stream: TextIO, redactor: Redactor, *, level: int = logging.INFO) -> Any:
    """A JSON-lines logger of its own (independent of the global configuration)."""
    return structlog.wrap_logger(
        SinkLogger([(stream, json_renderer())]),
        processors=processors(redactor),
        wrapper_class=structlog.make_filtering_bound_logger(level),
    )
