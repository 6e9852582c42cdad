"""Bad input exits 2 with a report of every problem, before any browser starts: the portal is not
contacted (no login e-mail is sent, nothing changes). The same through `runbook plan --input`.
What spreadsheets write goes through: a French Excel's Windows-1252 CSV (a warning), an .xlsx
sheet chosen with --sheet, run, resumed and reported with its extra columns."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from bulk_e2e import ADMIN, ROOT, bulk_args, cli, users_of
from openpyxl import Workbook

from executor.cli import main
from fake_portal.testing import PortalServer

pytestmark = pytest.mark.e2e

CSV = ROOT / "tests" / "unit" / "bulk" / "csv"
# The refused fixtures: their approved outcome is a report ending "nothing was run" (the others are
# accepted: test_bulk_rows.py).
BAD = sorted(
    p.name
    for p in CSV.glob("*.csv")
    if p.with_suffix(".expected.txt").read_text(encoding="utf-8").rstrip().endswith("nothing was run")
)


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
    expected = (CSV / name.replace(".csv", ".expected.txt")).read_text(encoding="utf-8")
    expected = expected.replace(name, str(csv))
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
    assert "3 problems in" in capsys.readouterr().err  # a typo, a bad tier, a short row (and a note)
    assert untouched.outbox() == []


def test_a_destructive_run_without_yes_and_without_a_terminal_exits_2(untouched: PortalServer, tmp_path: Path) -> None:
    result = cli(bulk_args(untouched, CSV / "good.csv", tmp_path / "run"))
    assert result.code == 2
    assert "give --yes" in result.err
    assert untouched.outbox() == []


# Last in the module: these contact the portal (the tests above check it was not).


def test_a_french_excel_csv_is_planned_with_a_warning(untouched: PortalServer, tmp_path: Path) -> None:
    """Windows-1252, ';', CRLF, accented names in extra columns: read, with the encoding named."""
    result = cli(bulk_args(untouched, CSV / "excel_windows1252.csv", tmp_path / "plan", "--dry-run"))
    assert result.code == 0, result.text[-3000:]
    warning = "warning: the file is not UTF-8 (byte 0xee): read as Windows-1252 (cp1252), which gives î è é ë"
    assert warning in result.err
    assert "note: columns name, department are not params of downgrade_license" in result.err
    plan = json.loads((tmp_path / "plan" / "plan.json").read_text(encoding="utf-8"))
    assert [(r["key"], r["target"]) for r in plan["rows"]] == [
        ("user01@acme.example", "Eco"),
        ("user02@acme.example", "Advanced"),
        ("user03@acme.example", "Eco"),
    ]


def test_a_workbook_sheet_is_run_resumed_and_reported_with_its_extra_columns(
    bulk_portal: PortalServer, tmp_path: Path
) -> None:
    bulk_portal.reset("bulk:8")
    book = Workbook()
    book.active.title = "Read me"
    book.active.append(["This sheet is not the input"])  # the first sheet: reading it would fail
    moves = book.create_sheet("Q4 moves")
    moves.append(["email", "target_tier", "name", "department"])
    moves.append(["user01@acme.example", "Eco", "Benoît Lefèvre", "Comptabilité"])
    moves.append(["user02@acme.example", "Eco", "Hélène Dubois", "R&D"])
    path = tmp_path / "users.xlsx"
    book.save(path)
    run_dir = tmp_path / "run"
    result = cli(bulk_args(bulk_portal, path, run_dir, "--sheet", "Q4 moves", "--workers", "2", "--yes"))
    assert result.code == 0, result.text[-3000:]
    assert f"{path}:'Q4 moves'!A1: note: columns name, department are not params" in result.err
    assert {e: users_of(bulk_portal.state())[e] for e in ("user01@acme.example", "user02@acme.example")} == {
        "user01@acme.example": "Eco",
        "user02@acme.example": "Eco",
    }
    with open(run_dir / "results.csv", newline="", encoding="utf-8") as fh:
        results = list(csv.DictReader(fh))
    assert [(r["key"], r["status"], r["name"], r["department"]) for r in results] == [
        ("user01@acme.example", "changed", "Benoît Lefèvre", "Comptabilité"),
        ("user02@acme.example", "changed", "Hélène Dubois", "R&D"),
    ]
    stored = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    assert (stored["params"], stored["sheet"]) == ({}, "Q4 moves")
    # The run folder's copy is the workbook itself; resume reads it again, on the same sheet.
    assert (run_dir / "input.csv").read_bytes() == path.read_bytes()
    resumed = cli(["resume", str(run_dir), "--yes", "--trace", "off"])
    assert resumed.code == 0, resumed.text[-3000:]
    assert "every row is finished" in resumed.out
    assert cli(["status", str(run_dir)]).code == 0
    bulk_portal.reset("bulk:8")
