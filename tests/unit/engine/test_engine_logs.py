"""structlog setup: the pipeline order, redaction, JSON and console outputs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from executor.logs import configure_logging, redaction
from executor.redaction import Redactor

SECRET = "s3cr3t-value"


@pytest.fixture(autouse=True)
def _reset_structlog() -> Iterator[None]:
    yield
    structlog.reset_defaults()


def test_redaction_processor_masks_values_keys_and_nesting() -> None:
    processor = redaction(Redactor([SECRET]))
    out = processor(None, "info", {"event": f"typed {SECRET}", "nested": {"list": [SECRET, 3]}, SECRET: 1})
    assert out == {"event": "typed ***", "nested": {"list": ["***", 3]}, "***": 1}


def test_json_log_file_is_redacted_and_structured(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "run.jsonl"
    configure_logging(path, console=False, redactor=Redactor([SECRET]))
    log = structlog.get_logger("test")
    structlog.contextvars.bind_contextvars(job="downgrade")
    try:
        log.info("filled", value=SECRET, note=f"the password is {SECRET}")
        log.debug("hidden below the level")
        try:
            raise ValueError(f"bad {SECRET}")
        except ValueError:
            log.exception("failed")
    finally:
        structlog.contextvars.clear_contextvars()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(lines) == 2
    first = lines[0]
    assert first["event"] == "filled" and first["value"] == "***" and first["note"] == "the password is ***"
    assert first["level"] == "info" and first["job"] == "downgrade" and "timestamp" in first
    assert "ValueError: bad ***" in lines[1]["exception"]
    assert SECRET not in path.read_text()


def test_console_output_is_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(None, console=True, redactor=Redactor([SECRET]))
    structlog.get_logger().warning("login", password=SECRET)
    err = capsys.readouterr().err
    assert "login" in err and "password" in err and SECRET not in err and "***" in err
