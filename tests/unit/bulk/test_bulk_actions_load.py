"""The actions bulk runs added to the language: `done` (desired state) and `extract what: table`."""

from __future__ import annotations

from pathlib import Path

import pytest

from executor.load import LoadError, load_catalogue, load_runbook
from executor.model.runbook import DoneArgs, ExtractArgs

ROOT = Path(__file__).resolve().parents[3]


def _load(tmp_path: Path, steps: str) -> object:
    (tmp_path / "_shared").mkdir(exist_ok=True)
    path = tmp_path / "rb.yaml"
    path.write_text("name: rb\nparams:\n  tier: {type: enum, values: [Eco, Pro]}\nsteps:\n" + steps, encoding="utf-8")
    return load_runbook(path, load_catalogue(ROOT / "selectors"), runbooks_root=tmp_path)


def test_done_with_a_condition(tmp_path: Path) -> None:
    rb = _load(
        tmp_path,
        "  - extract: {into: pool, target: licenses.purchased, what: table}\n"
        "  - done: 'already {{ params.tier }}'\n"
        "    when: '{{ vars.pool | length > 0 }}'\n",
    )
    extract, done = rb.steps  # type: ignore[attr-defined]
    assert isinstance(extract.args, ExtractArgs) and extract.args.what == "table"
    assert isinstance(done.args, DoneArgs) and done.args.message == "already {{ params.tier }}"
    assert done.when is not None


def test_table_takes_no_pattern_or_type(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as caught:
        _load(tmp_path, "  - extract: {into: pool, target: licenses.purchased, what: table, as: int}\n")
    assert "'as' does not apply to extract of table" in str(caught.value)


def test_every_bulk_runbook_loads() -> None:
    catalogue = load_catalogue(ROOT / "selectors")
    for path in sorted((ROOT / "runbooks" / "_bulk").glob("*.yaml")):
        assert load_runbook(path, catalogue, runbooks_root=ROOT / "runbooks").name == path.stem
