"""The QA suite as a QA runs it: `pytest runbooks/ --runbook-fake-portal` over the repo's own
runbooks, every example in every dialect, ground truth checked after each."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from executor.qa.library import Library
from fake_portal.config import DIALECTS

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]


def examples_in_repo() -> int:
    library = Library(None, REPO)
    count = 0
    for path in sorted((REPO / "runbooks").rglob("*.yaml")):
        if "_shared" not in path.parts:
            runbook, _root = library.load(path)
            count += len(runbook.tests)
    return count


def test_every_example_of_the_repo_passes_in_every_dialect(tmp_path: Path) -> None:
    expected = examples_in_repo() * len(DIALECTS)
    assert expected > 0
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "runbooks/",
            "--runbook-fake-portal",
            "-n",  # two xdist workers (a fake portal each): one merged report, in two thirds of the time
            "2",
            "-q",
            "-p",
            "no:cacheprovider",
            "--runbook-artifacts",
            str(tmp_path / "artifacts"),
            "--basetemp",
            str(tmp_path / "basetemp"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert re.search(rf"\b{expected} passed\b", done.stdout), done.stdout[-2000:]
    assert (tmp_path / "artifacts" / "report.html").is_file()
    assert (tmp_path / "artifacts" / "junit.xml").is_file()
    assert len(list((tmp_path / "artifacts").glob("gw*/runbook-results.jsonl"))) == 2  # one per xdist worker
    assert (tmp_path / "artifacts" / "junit.xml").read_text(encoding="utf-8").count("<testcase ") == expected
