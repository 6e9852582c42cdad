"""Approved-output tests: each `fixtures/invalid/<case>.yaml` must fail with exactly the
diagnostics in `<case>.expected.txt`. The messages are part of the product.

`UPDATE_SNAPSHOTS=1 pytest tests/unit/executor/test_load_snapshots.py` rewrites the approved files
(review the diff before committing). Cases named `catalogue_*` are selector files, loaded together
with the test catalogue in `fixtures/selectors/`.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import pytest

from executor.load import LoadError, load_catalogue, load_runbook, read_catalogue, render_diagnostics
from executor.load.catalogue_loader import catalogue_files
from executor.model.catalogue import Catalogue

FIXTURES = Path(__file__).parent / "fixtures"
INVALID = FIXTURES / "invalid"
CASES = sorted(INVALID.glob("*.yaml"))
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    return load_catalogue(FIXTURES / "selectors")


def rendered(case: Path) -> str:
    # Paths are shown relative to the fixtures folder, so the output does not depend on the cwd.
    if case.stem.startswith("catalogue_"):
        _, diagnostics = read_catalogue([*catalogue_files(FIXTURES / "selectors"), case])
        assert any(d.is_error for d in diagnostics), f"{case.name} loaded without errors"
        return render_diagnostics(diagnostics, FIXTURES) + "\n"
    with pytest.raises(LoadError) as caught:
        load_runbook(case, catalogue(), runbooks_root=INVALID)
    return caught.value.render(FIXTURES) + "\n"


def test_enough_cases() -> None:
    assert len(CASES) >= 15


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_invalid_case_matches_approved_output(case: Path) -> None:
    actual = rendered(case)
    approved = case.with_suffix(".expected.txt")
    if UPDATE or not approved.exists():
        approved.write_text(actual, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"no approved output yet: wrote {approved.name}, review it and rerun")
    assert actual == approved.read_text(encoding="utf-8")


def test_every_approved_file_has_a_case() -> None:
    stale = [
        p.name
        for p in INVALID.glob("*.expected.txt")
        if not p.with_name(p.name.replace(".expected.txt", ".yaml")).exists()
    ]
    assert stale == []


def test_several_problems_are_reported_at_once() -> None:
    text = rendered(INVALID / "many_problems.yaml")
    assert text.count(": error: ") >= 6
