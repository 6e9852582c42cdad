"""The input as ops really have it: an Excel "CSV UTF-8", a French Excel's Windows-1252 CSV, an
.xlsx workbook. The same rows give the same jobs and the same plan, whatever the format; a
workbook's formulas are refused; positions name the sheet and the cell.

Workbooks are written here with openpyxl (no binary fixture to keep in sync with the CSVs).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from bulk_builders import HEADER, ROWS, downgrade_runbook, state, workbook
from openpyxl import Workbook
from openpyxl.styles import Font

from executor.bulk.input_files import cell_text
from executor.bulk.planning import plan_downgrade
from executor.bulk.rows import InputError, RowSet, read_rows
from executor.model.runbook import Param, ParamType, Runbook

CSV = Path(__file__).resolve().parent / "csv"
def _read(path: Path, runbook: Runbook | None = None, **kwargs: Any) -> RowSet:
    return read_rows(path, runbook or downgrade_runbook(), notify=None, **kwargs)


def _report(path: Path, runbook: Runbook | None = None, **kwargs: Any) -> str:
    with pytest.raises(InputError) as caught:
        read_rows(path, runbook or downgrade_runbook(), **kwargs)
    return caught.value.render()


# --- the key property -----------------------------------------------------------------------------


def test_every_format_gives_the_same_rows_and_the_same_plan(tmp_path: Path) -> None:
    plain = _read(CSV / "extra_columns.csv")  # UTF-8, ',', LF
    others = {
        "Excel CSV UTF-8 (BOM, CRLF, ';')": _read(CSV / "excel_utf8.csv"),
        "French Excel CSV (Windows-1252, CRLF, ';')": _read(CSV / "excel_windows1252.csv"),
        ".xlsx": _read(workbook(tmp_path / "users.xlsx", {"Users": [HEADER, *ROWS]})),
    }
    assert [r.key for r in plain.rows] == [
        "user01@acme.example",
        "user02@acme.example",
        "user03@acme.example",
    ]
    assert plain.rows[0].extra == ("Benoît Lefèvre", "Comptabilité")
    users = {r.key: "Pro" for r in plain.rows}
    plan = plan_downgrade(list(plain.rows), state(users))
    for what, rowset in others.items():
        # Same params, keys, row numbers, lines (the header is on line/row 1 in each) and extra cells.
        assert rowset.rows == plain.rows, what
        assert (rowset.columns, rowset.extra_columns) == (plain.columns, plain.extra_columns), what
        assert plan_downgrade(list(rowset.rows), state(users)).digest() == plan.digest(), what
    assert len({plain.sha256, *(r.sha256 for r in others.values())}) == 4  # each file's own bytes


@pytest.mark.parametrize("name", ["excel_windows1252.csv", "users.xlsx"])
def test_the_normalised_text_reads_back_to_the_same_rows(tmp_path: Path, name: str) -> None:
    """RowSet.text, the form a run folder can keep: UTF-8, ',', LF, whatever was read."""
    source = CSV / name if name.endswith(".csv") else workbook(tmp_path / name, {"Users": [HEADER, *ROWS]})
    rowset = _read(source)
    assert rowset.text.splitlines()[:2] == ["email,target_tier,name,department",
                                            "user01@acme.example,Eco,Benoît Lefèvre,Comptabilité"]  # fmt: skip
    copy = tmp_path / "copy.csv"
    copy.write_bytes(rowset.text.encode("utf-8"))
    again = _read(copy)
    assert again.rows == rowset.rows
    assert [n.level for n in again.notices] == ["note"]  # the extra columns; no encoding to guess


# --- workbooks ------------------------------------------------------------------------------------


def test_a_workbook_is_read_from_its_content_whatever_its_name(tmp_path: Path) -> None:
    """The run folder keeps the input as input.csv: resume reads a workbook under that name, with
    the sheet given at the start (kept in run.json)."""
    data = workbook(
        tmp_path / "users.xlsx", {"Q3": [HEADER, ROWS[0]], "Q4 moves": [HEADER, *ROWS[1:]]}
    ).read_bytes()
    copy = tmp_path / "input.csv"
    copy.write_bytes(data)
    chosen = _read(tmp_path / "users.xlsx", sheet="Q4 moves")
    again = read_rows(copy, downgrade_runbook(), {}, sheet="Q4 moves", notify=None)
    assert again.rows == chosen.rows and [r.key for r in again.rows] == [
        "user02@acme.example",
        "user03@acme.example",
    ]
    assert again.sheet == "Q4 moves" and again.sha256 == chosen.sha256


def test_the_first_sheet_by_default_with_a_note_when_there_are_others(tmp_path: Path) -> None:
    path = workbook(tmp_path / "users.xlsx", {"Q3": [HEADER, ROWS[0]], "Q4 moves": [HEADER, *ROWS[1:]]})
    printed: list[str] = []
    rowset = read_rows(path, downgrade_runbook(), notify=printed.append)
    assert [r.key for r in rowset.rows] == ["user01@acme.example"]
    assert printed == [
        f"{path}: note: read sheet 'Q3', the first of 2 (Q3, Q4 moves); choose another with --sheet NAME",
        f"{path}:Q3!A1: note: columns name, department are not params of downgrade_license: "
        + "kept in results.csv, otherwise ignored",
    ]


def test_positions_are_the_sheets_cells(tmp_path: Path) -> None:
    rows = [[], HEADER, ROWS[0], [], ["user02@acme.example", "Ecco", "x", "y"], ROWS[0]]
    path = workbook(tmp_path / "users.xlsx", {"Q4 moves": rows})
    assert _report(path).splitlines() == [
        f"{path}:'Q4 moves'!A2: note: columns name, department are not params of downgrade_license: "
        + "kept in results.csv, otherwise ignored",
        # blank sheet rows are skipped: sheet row 5 is data row 2
        f"{path}:'Q4 moves'!B5: row 2: param 'target_tier' must be one of Eco, Advanced; got 'Ecco'",
        "    hint: did you mean 'Eco'?",
        f"{path}:'Q4 moves'!A6: row 3: same as row 1",
        "    hint: remove the duplicate",
        f"2 problems in {path}; nothing was run",
    ]


def test_a_header_typo_and_a_missing_column_in_a_workbook(tmp_path: Path) -> None:
    path = workbook(tmp_path / "users.xlsx", {"Users": [["mail"], ["user01@acme.example"]]})
    assert _report(path).splitlines()[:4] == [
        f"{path}:Users!A1: unknown column 'mail'",
        "    hint: did you mean 'email' or 'user_email'? (a name this close to a missing param's is taken for a typo)",
        f"{path}:Users!A1: missing column 'target_tier' (enum, required by downgrade_license)",
        "    hint: add a column named 'target_tier' to the header",
    ]


def test_a_formula_cell_is_refused_even_in_an_extra_column(tmp_path: Path) -> None:
    rows = [HEADER, ["user01@acme.example", '=IF(TRUE,"Eco","Pro")', "Benoît", "x"],
            ["user02@acme.example", "Eco", "=A3", "y"], ["user03@acme.example", "Eco", "Zoë", "z"]]  # fmt: skip
    path = workbook(tmp_path / "users.xlsx", {"Users": rows})
    assert _report(path).splitlines()[1:6] == [
        f'{path}:Users!B2: row 1: the cell holds a formula (=IF(TRUE,"Eco","Pro"))',
        "    hint: keep values only: copy the cells, then Paste Special > Values",
        f"{path}:Users!C3: row 2: the cell holds a formula (=A3)",
        "    hint: keep values only: copy the cells, then Paste Special > Values",
        f"2 problems in {path}; nothing was run",
    ]


def test_an_error_value_is_refused(tmp_path: Path) -> None:
    path = workbook(tmp_path / "users.xlsx", {"Users": [HEADER[:2], ["user01@acme.example", "#N/A"]]})
    assert f"{path}:Users!B2: row 1: the cell holds an error value (#N/A)" in _report(path)


def test_an_unknown_sheet_is_an_error_listing_the_sheets(tmp_path: Path) -> None:
    path = workbook(tmp_path / "users.xlsx", {"Q3": [HEADER], "Q4 moves": [HEADER]})
    assert _report(path, sheet="Q4 move").splitlines() == [
        f"{path}: --sheet 'Q4 move': no sheet of that name",
        "    hint: did you mean 'Q4 moves'? (the workbook's sheets: Q3, Q4 moves)",
        f"1 problem in {path}; nothing was run",
    ]
    assert "hint: the workbook's sheets: Q3, Q4 moves" in _report(path, sheet="Users")


def test_numbers_and_booleans_become_the_text_the_params_expect(tmp_path: Path) -> None:
    runbook = Runbook(
        name="set_seats",
        params=(
            Param(name="user_email", type=ParamType.EMAIL),
            Param(name="seats", type=ParamType.INT),
            Param(name="notify", type=ParamType.BOOL),
        ),
    )
    rows = [["email", "seats", "notify", "since"],
            ["a@acme.example", 3, True, dt.datetime(2024, 5, 1)],
            ["b@acme.example", 4.0, False, dt.datetime(2024, 5, 1, 13, 30)]]  # fmt: skip
    rowset = _read(workbook(tmp_path / "seats.xlsx", {"Seats": rows}), runbook)
    assert [dict(r.params) for r in rowset.rows] == [
        {"user_email": "a@acme.example", "seats": 3, "notify": True},
        {"user_email": "b@acme.example", "seats": 4, "notify": False},
    ]
    assert [r.extra for r in rowset.rows] == [("2024-05-01",), ("2024-05-01 13:30:00",)]
    assert "a@acme.example,3,true,2024-05-01" in rowset.text
    half = workbook(tmp_path / "half.xlsx", {"Seats": [rows[0][:3], ["a@acme.example", 2.5, 1]]})
    assert "Seats!B2: row 1: param 'seats' must be a whole number, got '2.5'" in _report(half, runbook)


@pytest.mark.parametrize(
    ("value", "text"),
    [(3, "3"), (3.0, "3"), (2.5, "2.5"), (0.1 + 0.2, "0.3"), (True, "true"), (False, "false"), (-7, "-7"),
     (1e20, "1e+20"), (dt.date(2024, 5, 1), "2024-05-01"), (dt.time(9, 5), "09:05:00"), ("  x ", "  x ")],
)  # fmt: skip
def test_cell_text(value: Any, text: str) -> None:
    assert cell_text(value) == text


def test_empty_trailing_rows_and_columns_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "users.xlsx"
    book = Workbook()
    sheet = book.active
    for row in [HEADER[:2], ROWS[0][:2], ROWS[1][:2]]:
        sheet.append(row)
    sheet["F40"].font = Font(bold=True)  # formatted, never filled: Excel keeps it in the sheet
    sheet["C2"] = "   "  # a stray space
    sheet["A41"] = None
    book.save(path)
    rowset = _read(path)
    assert [r.key for r in rowset.rows] == ["user01@acme.example", "user02@acme.example"]
    assert rowset.extra_columns == ()


def test_files_that_are_not_workbooks_nor_text(tmp_path: Path) -> None:
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64)
    assert "an Excel 97-2003 workbook (.xls) or a password-protected one: neither is read" in _report(xls)
    ods = tmp_path / "users.ods"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
    ods.write_bytes(buf.getvalue())
    report = _report(ods)
    assert "the file is a zip archive but cannot be read as an Excel workbook (.xlsx)" in report
    assert "hint: an OpenDocument (.ods) or other archive is not a workbook" in report


def test_an_empty_sheet(tmp_path: Path) -> None:
    path = workbook(tmp_path / "users.xlsx", {"Users": []})
    assert _report(path).splitlines()[:2] == [
        f"{path}:Users!A1: the sheet 'Users' is empty",
        "    hint: the first row names the columns: user_email, target_tier",
    ]
