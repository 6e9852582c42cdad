"""results.csv: the ledger's columns, then the input's extra columns beside their rows (read again
from the run folder's copy of the input, a workbook's sheet included); `--sheet` on the CLI."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from bulk_builders import HEADER, ROWS, workbook

from executor.bulk.journal import Journal, RowRecord
from executor.bulk.ledger import COLUMNS, Extras, write_results
from executor.bulk.rundir import BulkRunDir, RunInfo, sha256_of
from executor.cli import build_parser
from executor.cli.bulk_options import bulk_request

ROOT = Path(__file__).resolve().parents[3]


def _journal(path: Path) -> Journal:
    journal = Journal.open(path)
    journal.add_rows(
        [
            RowRecord(1, "user01@acme.example", {}, "changed"),
            RowRecord(2, "user02@acme.example", {}, "failed", "not found"),
            RowRecord(3, "user03@acme.example", {}, "unchanged"),
        ]
    )
    return journal


def _results(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def test_extra_columns_come_after_the_ledgers_beside_their_row(tmp_path: Path) -> None:
    journal = _journal(tmp_path / "journal.sqlite")
    extras = Extras(("name", "status"), {1: ("Benoît", "x"), 2: ("Hélène", "y"), 3: ("Zoë", "z")})
    rows = _results(write_results(journal, tmp_path / "results.csv", extras))
    assert rows[0] == [*COLUMNS, "name", "input.status"]  # an input column never passes for the ledger's
    assert [(r[0], r[2], r[-2]) for r in rows[1:]] == [("2", "failed", "Hélène"), ("1", "changed", "Benoît"),
                                                        ("3", "unchanged", "Zoë")]  # fmt: skip


def _run_folder(tmp_path: Path, data: bytes, sheet: str | None = None) -> BulkRunDir:
    rundir = BulkRunDir.create("t", tmp_path / "run")
    rundir.input_copy.write_bytes(data)
    runbook = ROOT / "runbooks" / "downgrade_license.yaml"
    rundir.write_run(
        RunInfo(runbook=str(runbook), runbook_sha256=sha256_of(runbook), input=str(tmp_path / "users.xlsx"),
                input_sha256=sha256_of(rundir.input_copy), base_url="http://x", strategy="aggregate", workers=1,
                sheet=sheet)
    )  # fmt: skip
    return rundir


def test_the_extra_cells_are_read_again_from_the_runs_copy_of_a_workbook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = workbook(tmp_path / "users.xlsx", {"Q3": [["email", "target_tier"]], "Q4 moves": [HEADER, *ROWS]})
    rundir = _run_folder(tmp_path, book.read_bytes(), "Q4 moves")
    rows = _results(write_results(_journal(rundir.journal), rundir.results))
    assert rows[0][len(COLUMNS) :] == ["name", "department"]
    assert {r[1]: r[len(COLUMNS) :] for r in rows[1:]} == {
        "user01@acme.example": ["Benoît Lefèvre", "Comptabilité"],
        "user02@acme.example": ["Hélène Dubois", "R&D"],
        "user03@acme.example": ["Zoë Martin", "Ventes"],
    }
    assert capsys.readouterr().err == ""


def test_results_are_written_when_the_copy_cannot_be_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rundir = _run_folder(tmp_path, b"\xff\xfeutf16")
    rows = _results(write_results(_journal(rundir.journal), rundir.results))
    assert rows[0] == list(COLUMNS) and len(rows) == 4
    assert "warning: results.csv without the input's extra columns" in capsys.readouterr().err


def test_no_run_json_no_extra_columns(tmp_path: Path) -> None:
    rows = _results(write_results(_journal(tmp_path / "journal.sqlite"), tmp_path / "results.csv"))
    assert rows[0] == list(COLUMNS)


@pytest.mark.parametrize("command", ["run", "plan"])
def test_sheet_reaches_the_bulk_request(command: str) -> None:
    args = build_parser().parse_args(
        [
            command,
            "downgrade_license",
            "--input",
            "users.xlsx",
            "--sheet",
            "Q4 moves",
            "--base-url",
            "http://x",
        ]
    )
    if command == "plan":  # plan_cmd fills the run-only options before building the request
        for name, value in {"yes": False, "max_failures": 3, "max_failure_rate": None, "rate_limit": None,
                            "canary": 0, "timeout": 10_000, "screenshots": "every_step",
                            "trace": "retain-on-failure", "headed": False, "slow_mo": 0}.items():  # fmt: skip
            if not hasattr(args, name):
                setattr(args, name, value)
    req = bulk_request(args, runbook=Path("downgrade_license"), dry_run=True, params={"target_tier": "Eco"})
    assert (req.params, req.sheet) == ({"target_tier": "Eco"}, "Q4 moves")
    without = build_parser().parse_args(
        ["run", "downgrade_license", "--input", "users.csv", "--base-url", "http://x"]
    )
    plain = bulk_request(without, runbook=Path("x"), dry_run=True, params={})
    assert (plain.params, plain.sheet) == ({}, None)


def test_an_extra_cell_that_looks_like_a_formula_is_written_as_text(tmp_path: Path) -> None:
    journal = _journal(tmp_path / "journal.sqlite")
    extras = Extras(("note",), {1: ('=HYPERLINK("http://x","y")',), 2: ("-3",), 3: ("@SUM(A1)",)})
    rows = _results(write_results(journal, tmp_path / "results.csv", extras))
    assert {r[0]: r[-1] for r in rows[1:]} == {"1": '\'=HYPERLINK("http://x","y")', "2": "-3", "3": "'@SUM(A1)"}
