"""Bad input exits 2 with a report of every problem, before any browser starts: the portal is not
contacted (no login e-mail is sent, nothing changes). The same through `runbook plan --input`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from bulk_e2e import ADMIN, ROOT, bulk_args, cli

from executor.cli import main
from fake_portal.testing import PortalServer

pytestmark = pytest.mark.e2e

CSV = ROOT / "tests" / "unit" / "bulk" / "csv"
BAD = sorted(p.name for p in CSV.glob("*.csv") if p.stem != "good")


@pytest.fixture(scope="module")
def untouched(bulk_portal: PortalServer) -> PortalServer:
    bulk_portal.reset("bulk:8")
    return bulk_portal


@pytest.mark.parametrize("name", BAD)
def test_bad_csv_exits_2_and_touches_nothing(
    name: str, untouched: PortalServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = untouched.state()
    csv = tmp_path / name
    shutil.copyfile(CSV / name, csv)
    code = main(bulk_args(untouched, csv, tmp_path / "run", "--workers", "4", "--yes"))
    err = capsys.readouterr().err
    assert code == 2
    expected = (CSV / name.replace(".csv", ".expected.txt")).read_text().replace(name, str(csv))
    assert err.strip().endswith(expected.strip())
    assert untouched.state() == before
    assert untouched.outbox() == []  # not even a login
    assert not (tmp_path / "run").exists()


def test_bulk_plan_with_a_bad_csv_exits_2(untouched: PortalServer, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["plan", "downgrade_license", "--input", str(CSV / "many_problems.csv"), "--base-url", untouched.url,
         "--login-as", ADMIN]
    )  # fmt: skip
    assert code == 2
    assert "5 problems in" in capsys.readouterr().err
    assert untouched.outbox() == []


def test_a_destructive_run_without_yes_and_without_a_terminal_exits_2(untouched: PortalServer, tmp_path: Path) -> None:
    result = cli(bulk_args(untouched, CSV / "good.csv", tmp_path / "run"))
    assert result.code == 2
    assert "give --yes" in result.err
    assert untouched.outbox() == []
