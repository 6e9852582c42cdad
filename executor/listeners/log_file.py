"""Every event as one JSON line (structlog), for machines: `runs/<id>/run.log.jsonl`."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from executor.events import Event, JobFinished, RunFinished, StepFinished, event_name, to_dict
from executor.logs import file_logger
from executor.redaction import Redactor


def _level(event: Event) -> str:
    status = getattr(event, "status", None)
    if isinstance(event, (StepFinished, JobFinished, RunFinished)) and status == "failed":
        return "error"
    return "warning" if status == "warned" else "info"


class LogFileListener:
    def __init__(
        self, path: Path | str, redactor: Redactor | None = None, *, level: int = logging.INFO
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._stream = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self._log: Any = file_logger(self._stream, redactor or Redactor(), level=level)

    def on_event(self, event: Event) -> None:
        fields = to_dict(event)
        del fields["event"]  # structlog's own key holds the event name
        getattr(self._log, _level(event))(event_name(event), **fields)

    def close(self) -> None:
        if not self._stream.closed:
            self._stream.close()
