"""Through the CLI on the demo portal: `done` ends a job as passed with nothing changed, and
`extract what: table` reads a whole table in one step."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bulk_e2e import ADMIN, cli

from fake_portal.testing import PortalServer

pytestmark = pytest.mark.e2e


def test_done_ends_the_job_unchanged(bulk_portal: PortalServer, tmp_path: Path) -> None:
    bulk_portal.reset("demo")
    result = cli(
        ["run", "downgrade_license", "--base-url", bulk_portal.url, "--login-as", ADMIN, "--trace", "off",
         "-p", "user_email=user15@acme.example", "-p", "target_tier=Eco", "--artifacts", str(tmp_path / "run")]
    )  # fmt: skip
    assert result.code == 0, result.text[-2000:]
    assert bulk_portal.state()["ledger"] == []
    events = [json.loads(line) for line in (tmp_path / "run" / "run.log.jsonl").read_text().splitlines()]
    job = next(e for e in events if e["event"] == "JobFinished" and e["job_id"] == "downgrade_license")
    assert job["status"] == "passed" and job["done"].startswith("user15@acme.example already holds Eco")
    skipped = [e for e in events if e["event"] == "StepFinished" and e["job_id"] == "downgrade_license" and e["status"] == "skipped"]
    assert any(e["destructive"] and e["reason"].startswith("done:") for e in skipped)


def test_extract_table_reads_every_row(bulk_portal: PortalServer, tmp_path: Path) -> None:
    bulk_portal.reset("demo")
    result = cli(
        ["run", "runbooks/_bulk/read_portal.yaml", "--base-url", bulk_portal.url, "--login-as", ADMIN,
         "--trace", "off", "--artifacts", str(tmp_path / "run")]
    )  # fmt: skip
    assert result.code == 0, result.text[-2000:]
    events = [json.loads(line) for line in (tmp_path / "run" / "run.log.jsonl").read_text().splitlines()]
    outputs = next(e for e in events if e["event"] == "JobFinished" and e["job_id"] == "read_portal")["outputs"]
    # The catalogue's columns: canonical tiers ("" for none), counts as numbers, prices read in the
    # page's locale.
    users = {u["email"]: u["tier"] for u in outputs["users"]}
    assert users["user03@acme.example"] == "Pro" and users["user19@acme.example"] == ""
    assert len(users) == 22
    pool = {p["tier"]: p for p in outputs["pool"]}
    assert (pool["Eco"]["total"], pool["Eco"]["available"], pool["Eco"]["price"]) == (6, 1, "9.00")
