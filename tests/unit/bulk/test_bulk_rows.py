"""The input CSV: every problem reported at once, with its line, column and a hint; what
spreadsheets write (BOM, CRLF, ';', tabs, Windows-1252, extra columns) accepted.

Each file under csv/ holds one case (many_problems.csv several); its approved outcome is
csv/<name>.expected.txt: the report of a refused file (it ends with "nothing was run"), or, for an
accepted one, the notices as printed and the rows read. Regenerate with BULK_APPROVE=1 after
checking the new output by eye. (tests/e2e/bulk/test_bulk_input.py runs the refused ones through
the CLI.)
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from bulk_builders import downgrade_runbook

from executor.bulk.rows import InputError, RowSet, read_rows

CSV = Path(__file__).resolve().parent / "csv"
ALL = sorted(p.stem for p in CSV.glob("*.csv"))
REFUSED = "nothing was run"


def _relative(text: str) -> str:
    return text.replace(str(CSV) + "/", "")


def _accepted(rowset: RowSet, printed: list[str]) -> str:
    extra = ", ".join(rowset.extra_columns) or "none"
    count = f"{len(rowset.rows)} row{'s' if len(rowset.rows) != 1 else ''}"
    lines = [*printed, f"accepted: {count}; params: {', '.join(rowset.columns)}; extra: {extra}"]
    for r in rowset.rows:
        lines.append(
            f"line {r.line}: row {r.number} ({r.key}): {dict(r.params)}"
            + (f" + {list(r.extra)}" if r.extra else "")
        )
    return "\n".join(lines)


def _outcome(name: str) -> str:
    printed: list[str] = []
    try:
        rowset = read_rows(CSV / f"{name}.csv", downgrade_runbook(), notify=printed.append)
    except InputError as err:
        return _relative(err.render()) + "\n"
    return _relative(_accepted(rowset, printed)) + "\n"


def _report(name: str) -> str:
    with pytest.raises(InputError) as caught:
        read_rows(CSV / f"{name}.csv", downgrade_runbook())
    return _relative(caught.value.render()) + "\n"


@pytest.mark.parametrize("name", ALL)
def test_each_file_gives_its_approved_outcome(name: str) -> None:
    got = _outcome(name)
    expected = CSV / f"{name}.expected.txt"
    if os.environ.get("BULK_APPROVE") or not expected.exists():
        expected.write_text(got, encoding="utf-8")
    assert got == expected.read_text(encoding="utf-8")


def test_good_input_gives_rows_with_params_and_keys() -> None:
    rowset = read_rows(CSV / "good.csv", downgrade_runbook())
    assert [r.params for r in rowset.rows] == [
        {"user_email": "user01@acme.example", "target_tier": "Eco"},
        {"user_email": "user02@acme.example", "target_tier": "Advanced"},
    ]
    assert [r.key for r in rowset.rows] == ["user01@acme.example", "user02@acme.example"]
    assert [(r.number, r.line) for r in rowset.rows] == [(1, 2), (2, 3)]
    assert rowset.columns == ("user_email", "target_tier")
    assert rowset.extra_columns == () and rowset.notices == ()
    assert len(rowset.sha256) == 64


@pytest.mark.parametrize("name", ["bom", "semicolons", "crlf", "tab", "latin1"])
def test_what_spreadsheets_write_is_accepted(name: str) -> None:
    """Refused until spreadsheets' habits were supported: a BOM, ';', CRLF, tabs, Windows-1252."""
    assert REFUSED not in _outcome(name)


def test_windows_1252_is_read_with_a_warning_naming_it() -> None:
    printed: list[str] = []
    rowset = read_rows(CSV / "latin1.csv", downgrade_runbook(), notify=printed.append)
    assert rowset.rows[0].key == "rémy@acme.example"
    assert [n.level for n in rowset.notices] == ["warning"]
    [warning] = printed
    assert warning.startswith(f"{CSV / 'latin1.csv'}:2: warning: the file is not UTF-8 (byte 0xe9): ")
    assert "read as Windows-1252 (cp1252), which gives é" in warning
    assert "\ufffd" not in rowset.text  # never a replacement character


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("utf16", "the file is UTF-16 encoded"),
        ("mixed_encodings", "the file mixes encodings: line 2 is UTF-8, line 3 is not (byte 0xe9)"),
        ("not_windows1252", "the file is neither UTF-8 nor Windows-1252 (cp1252) text (byte 0x81)"),
        ("binary", "the file holds a control character (0x01): it is not a text file"),
    ],
)
def test_what_is_neither_utf8_nor_windows_1252_text_stays_an_error(name: str, message: str) -> None:
    report = _report(name)
    assert message in report
    assert "save it as 'CSV UTF-8' (Excel: File > Save As > CSV UTF-8) or as an .xlsx workbook" in report


def test_extra_columns_are_kept_and_listed_in_one_note() -> None:
    printed: list[str] = []
    rowset = read_rows(CSV / "extra_columns.csv", downgrade_runbook(), notify=printed.append)
    assert printed == [
        f"{CSV / 'extra_columns.csv'}:1: note: columns name, department are not params of downgrade_license: "
        + "kept in results.csv, otherwise ignored"
    ]
    assert rowset.extra_columns == ("name", "department")
    assert rowset.rows[0].extra == ("Benoît Lefèvre", "Comptabilité")
    assert rowset.columns == ("user_email", "target_tier")
    assert set(rowset.rows[0].params) == {"user_email", "target_tier"}  # the runbook never sees them


def test_a_name_close_to_a_missing_param_is_a_typo_not_an_extra_column() -> None:
    report = _report("unknown_column")  # email,target_teir
    assert (
        "unknown_column.csv:1:2: unknown column 'target_teir'\n    hint: did you mean 'target_tier'?"
        in report
    )
    assert "missing column" not in report  # the "did you mean" says it already


def test_a_name_close_to_a_param_another_column_gives_is_extra() -> None:
    """`current_tier` beside `target_tier`, `manager_email` beside `email`: they cannot stand for
    a param that is already there."""
    rowset = read_rows(CSV / "close_but_given.csv", downgrade_runbook(), notify=None)
    assert rowset.extra_columns == ("current_tier", "manager_email")


@pytest.mark.parametrize(
    ("header", "meant"),
    [
        ("mail,target_tier", "'email' or 'user_email'"),
        ("e-mail,target_tier", "'email' or 'user_email'"),
        ("user,target_tier", "'user_email'"),  # one name holding the other
        ("email_address,target_tier", "'email'"),
        ("email,tier", "'target_tier'"),
        ("email,Target Tier", "'target_tier'"),
    ],
)
def test_likely_typos(tmp_path: Path, header: str, meant: str) -> None:
    path = tmp_path / "in.csv"
    path.write_text(f"{header}\nuser01@acme.example,Eco\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_rows(path, downgrade_runbook())
    assert f"did you mean {meant}?" in caught.value.render()


def test_many_problems_are_all_reported_with_rows() -> None:
    report = _report("many_problems")
    assert "unknown column 'mail'" in report  # a typo of 'email'
    assert "note: column note is not a param of downgrade_license" in report  # extra: listed, not refused
    assert "row 2: param 'target_tier' must be one of Eco, Advanced; got 'Ecco'" in report
    assert report.rstrip().endswith("nothing was run")


def test_blank_lines_are_skipped_and_emails_lower_cased(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("email,target_tier\n\nUser05@ACME.example , Eco\n\n", encoding="utf-8")
    rowset = read_rows(path, downgrade_runbook())
    assert [(r.number, r.line, r.params["user_email"]) for r in rowset.rows] == [
        (1, 3, "user05@acme.example")
    ]


def test_an_unnamed_column_is_ignored_when_empty_and_refused_when_not(tmp_path: Path) -> None:
    """Excel saves a column it once held (or a trailing separator) as an empty, unnamed one."""
    path = tmp_path / "in.csv"
    path.write_text("email;target_tier;\r\nuser05@acme.example;Eco;\r\n", encoding="utf-8")
    assert read_rows(path, downgrade_runbook()).rows[0].params["target_tier"] == "Eco"
    path.write_text("email;target_tier;\r\nuser05@acme.example;Eco;x\r\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_rows(path, downgrade_runbook())
    assert f"{path}:1:3: a column has no name" in caught.value.render()


def test_a_cell_that_looks_like_a_formula_is_text_in_a_csv(tmp_path: Path) -> None:
    """Today's rule, kept: a CSV holds text, and no value is refused for its first character (an
    email or a tier starting with '=' is refused by its type). Only a workbook's real formula
    cells are refused (test_bulk_rows_formats.py)."""
    path = tmp_path / "in.csv"
    path.write_text('email,target_tier,note\nuser05@acme.example,Eco,"=1+2"\n', encoding="utf-8")
    assert read_rows(path, downgrade_runbook()).rows[0].extra == ("=1+2",)


def test_the_param_name_works_as_a_column_too(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("user_email,target_tier\nuser05@acme.example,Eco\n", encoding="utf-8")
    assert read_rows(path, downgrade_runbook()).rows[0].params["user_email"] == "user05@acme.example"


def test_a_fixed_param_fills_a_missing_column_but_not_both(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("email\nuser05@acme.example\n", encoding="utf-8")
    rowset = read_rows(path, downgrade_runbook(), {"target_tier": "Eco"})
    assert rowset.rows[0].params == {"target_tier": "Eco", "user_email": "user05@acme.example"}
    path.write_text("email,target_tier\nuser05@acme.example,Eco\n", encoding="utf-8")
    with pytest.raises(InputError, match="problem"):
        read_rows(path, downgrade_runbook(), {"target_tier": "Eco"})


def test_a_sheet_for_a_csv_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        read_rows(CSV / "good.csv", downgrade_runbook(), sheet="Users")
    assert "--sheet 'Users' names a sheet, but the file is a CSV, not a workbook" in caught.value.render()
