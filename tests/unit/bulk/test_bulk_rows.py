"""The input CSV: every problem reported at once, with its line, column and a hint.

Each file under csv/ holds one kind of problem (many_problems.csv several); its approved report is
csv/<name>.expected.txt. Regenerate with BULK_APPROVE=1 after checking the new output by eye.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from bulk_builders import downgrade_runbook

from executor.bulk.rows import InputError, read_rows

CSV = Path(__file__).resolve().parent / "csv"
BAD = sorted(p.stem for p in CSV.glob("*.csv") if p.stem != "good")


def _report(name: str) -> str:
    with pytest.raises(InputError) as caught:
        read_rows(CSV / f"{name}.csv", downgrade_runbook())
    return caught.value.render().replace(str(CSV) + "/", "") + "\n"


@pytest.mark.parametrize("name", BAD)
def test_bad_input_is_reported_as_approved(name: str) -> None:
    got = _report(name)
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
    assert len(rowset.sha256) == 64


def test_many_problems_are_all_reported_with_rows() -> None:
    report = _report("many_problems")
    assert "unknown column 'mail'" in report
    assert "unknown column 'note'" in report
    assert "missing column 'user_email'" in report
    assert report.rstrip().endswith("nothing was run")


def test_blank_lines_are_skipped_and_emails_lower_cased(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("email,target_tier\n\nUser05@ACME.example , Eco\n\n", encoding="utf-8")
    rowset = read_rows(path, downgrade_runbook())
    assert [(r.number, r.line, r.params["user_email"]) for r in rowset.rows] == [(1, 3, "user05@acme.example")]


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
