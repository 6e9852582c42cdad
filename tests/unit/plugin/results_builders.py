"""Synthetic results for the results-file and merge tests: one sample of every event type with
every nested part set, and results folders written as a pytest process writes them (no browser)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from executor.events import (
    Artifact,
    AssertionResult,
    DialogSeen,
    Event,
    JobFinished,
    JobStarted,
    LocatorMatch,
    OperatorPrompt,
    RunFinished,
    RunStarted,
    StepFinished,
    StepRetrying,
    StepStarted,
    Timings,
)
from executor.listeners.results_file import RESULTS_NAME, Header, ItemResult, ResultsWriter, Shard

RUNBOOK = "runbooks/check_license.yaml"
AT = 1_767_000_000.5


def every_event(folder: str = "/tmp/run") -> list[Event]:
    """One of each event type; non-default values in every field, nested dataclasses included."""
    match = LocatorMatch(
        "users.license_of", "users.license_of(email=a@acme.example)", 1, 3, "role=cell", True
    )
    return [
        RunStarted("r1", "http://127.0.0.1:8000", 2, folder, at=AT),
        JobStarted(
            "r1",
            "check_license::pro_user[2026]",
            "check_license",
            RUNBOOK,
            "http://127.0.0.1:8000",
            {"user_email": "a@acme.example", "card": "***", "n": 3},
            3,
            f"{folder}/ex",
            at=AT + 1,
        ),
        StepStarted(
            "check_license::pro_user[2026]", "1", "Open", "goto", f"{RUNBOOK}:7:5", depth=1, at=AT + 2
        ),
        StepRetrying("check_license::pro_user[2026]", "2", 1, "timeout 5000 ms", at=AT + 3),
        OperatorPrompt("check_license::pro_user[2026]", "2", "solve the captcha", 60_000, at=AT + 4),
        StepFinished(
            job_id="check_license::pro_user[2026]",
            step_id="3",
            title="The user holds Pro",
            action="expect",
            source=f"{RUNBOOK}:16:5",
            status="failed",
            runbook="check_license",
            target="users.license_of(email=a@acme.example)",
            depth=1,
            chain=("runbooks/x.yaml:3:5",),
            reason="why not",
            error="expected 'Pro', found 'Eco'",
            yaml="expect:\n  - text: ...",
            step={"args": {"value": "***"}, "n": [1, 2]},
            timings=Timings(1.5, 2.5, 3.5, 7.5),
            matches=(match,),
            assertions=(
                AssertionResult(
                    "text",
                    "users.license_of text equals 'Pro'",
                    "failed",
                    "users.license_of(email=a@acme.example)",
                    "a does not hold Pro",
                    "found 'Eco'",
                    f"{RUNBOOK}:17:9",
                    match,
                    12.5,
                ),
            ),
            artifacts=(
                Artifact("screenshot", f"{folder}/ex/003-failure.jpg", "page at failure"),
                Artifact("download", f"{folder}/ex/invoice.pdf", "invoice", 1234, "ab" * 32),
            ),
            variables={"total": "27.00"},
            attempts=2,
            destructive=True,
            notes=("a note",),
            dialogs=(DialogSeen("confirm", "Sure?", "accepted", True, "yes", "declared"),),
            rounds=3,
            at=AT + 5,
        ),
        JobFinished(
            "r1",
            "check_license::pro_user[2026]",
            "check_license",
            "failed",
            4321.5,
            {"passed": 2, "failed": 1},
            error="step 3 failed",
            failed_step="3",
            session_expired=True,
            outputs={"total": "27.00"},
            not_run=("Later",),
            artifacts=(Artifact("trace", f"{folder}/ex/trace.zip", "trace"),),
            artifacts_dir=f"{folder}/ex",
            done="finished early",
            performed=("'Pay' was performed",),
            at=AT + 6,
        ),
        RunFinished("r1", "failed", 5000.25, {"failed": 1}, at=AT + 7),
    ]


def header(session: str, process: str = "main", shard: Shard | None = None, **more: Any) -> Header:
    fields: dict[str, Any] = {
        "session": session,
        "process": process,
        "started_at": AT,
        "suite_items": 4,
        "suite_sha256": "s" * 64,
        "shard": shard,
        "host": "ci-1",
        "base_url": "http://127.0.0.1:8000",
        **more,
    }
    return Header(**fields)


def job_events(folder: Path, job_id: str, *, failed: bool) -> list[Event]:
    """A job with a screenshot per step, as the engine emits it (absolute paths)."""
    ex = folder / job_id.replace("::", ".").replace("[", ".").rstrip("]")
    ex.mkdir(parents=True, exist_ok=True)
    shot = ex / "001-open.jpg"
    shot.write_bytes(b"jpg")
    step = StepFinished(
        job_id=job_id,
        step_id="1",
        title="The user holds Pro",
        action="expect",
        source=f"{RUNBOOK}:16:5",
        status="failed" if failed else "passed",
        runbook="check_license",
        yaml="expect: [...]",
        error="step 1 'The user holds Pro' (runbooks/check_license.yaml:16:5): expected 'Pro', found 'Eco'"
        if failed
        else None,
        assertions=(
            AssertionResult(
                "text",
                "users.license_of text equals 'Pro'",
                "failed" if failed else "passed",
                error="found 'Eco'" if failed else None,
            ),
        ),
        artifacts=(Artifact("screenshot", str(shot), "after"),),
    )
    return [
        JobStarted("r", job_id, "check_license", RUNBOOK, "http://x", {}, 1, str(ex)),
        step,
        JobFinished(
            "r",
            job_id,
            "check_license",
            "failed" if failed else "passed",
            1000.0,
            {step.status: 1},
            error="step 1 failed" if failed else None,
            artifacts_dir=str(ex),
        ),
    ]


def item(name: str, outcome: str = "passed", folder: Path | None = None, **more: Any) -> ItemResult:
    job = f"check_license::{name}"
    fields: dict[str, Any] = {
        "nodeid": f"{RUNBOOK}::{name}",
        "name": name,
        "path": RUNBOOK,
        "runbook": "check_license",
        "outcome": outcome,
        "duration_s": 1.25,
        "phase": "call" if outcome == "failed" else "",
        "jobs": (job,) if outcome != "skipped" else (),
        "folder": str(folder / job.replace("::", ".").replace("[", ".").rstrip("]")) if folder else None,
        **more,
    }
    return ItemResult(**fields)


def write_folder(folder: Path, head: Header, outcomes: dict[str, str], *, finished: bool = True) -> Path:
    """A results folder: `{item name: outcome}` (failed ones with a failed step), as a process writes it."""
    writer = ResultsWriter(folder / RESULTS_NAME, lambda: head)
    writer.on_event(RunStarted("r", head.base_url, len(outcomes), str(folder)))
    for name, outcome in outcomes.items():
        if outcome != "skipped":
            for event in job_events(folder, f"check_license::{name}", failed=outcome == "failed"):
                writer.on_event(event)
        more: dict[str, Any] = {}
        if outcome == "failed":
            more = {
                "message": f"{RUNBOOK}:16:5: step 1 'The user holds Pro' failed",
                "longrepr": "the whole story",
            }
        if outcome == "skipped":
            more = {"skip_reason": "not on this portal", "message": "not on this portal"}
        writer.item(item(name, outcome, folder if outcome != "skipped" else None, **more))
    writer.on_event(RunFinished("r", "passed", 10.0, {}))
    if finished:
        writer.close(AT + 100)
    elif writer._stream is not None:
        writer._stream.close()
    return folder
