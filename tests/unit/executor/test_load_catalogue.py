"""The selector catalogue: entries, candidates, JS-style regexes, `within`."""

from __future__ import annotations

from pathlib import Path

import pytest

from executor.load import LoadError, load_catalogue, read_catalogue
from executor.model.catalogue import TextMatch

SELECTORS = Path(__file__).parent / "fixtures" / "selectors"


def test_fixture_catalogue_loads_without_warnings() -> None:
    catalogue, diagnostics = read_catalogue(SELECTORS)
    assert diagnostics == []
    assert set(catalogue.pages) == {"login", "nav", "licenses", "users"}
    assert catalogue.pages["licenses"].path == "/licenses"
    assert "licenses.available_count" in catalogue.entries


def test_candidates_and_regexes() -> None:
    catalogue = load_catalogue(SELECTORS)
    link = catalogue.entries["nav.licenses_link"]
    literal, regex = link.candidates
    assert literal.kind == "role" and literal.name == TextMatch(value="Management of licenses and Purchases")
    assert regex.name == TextMatch(value="^Licen[cs]e and Purchase Management$", regex=True, ignore_case=True)
    pay = catalogue.entries["licenses.pay"]
    assert pay.candidates[0].name == TextMatch(value="Pay", exact=True)
    assert pay.check is False and pay.required is True
    assert catalogue.entries["login.sms_code"].required is False
    assert catalogue.entries["users.license_cell"].candidates[0].css == "td.license"
    assert catalogue.entries["login.captcha_digits"].candidates[0].kind == "test_id"


def test_args_within_and_example_args() -> None:
    catalogue = load_catalogue(SELECTORS)
    count = catalogue.entries["licenses.available_count"]
    assert count.args == ("tier",)
    assert dict(count.example_args) == {"tier": "Pro"}
    assert count.within is not None and count.within.entry == "licenses.row"
    assert dict(count.within.args) == {"tier": "{tier}"}
    # A bare entry name in `within` means the same page.
    cell = catalogue.entries["users.license_cell"]
    assert cell.within is not None and cell.within.entry == "users.row"


def test_source_positions() -> None:
    entry = load_catalogue(SELECTORS).entries["licenses.checkout"]
    assert (entry.source.line, entry.source.col) == (16, 3)
    assert entry.candidates[1].source.line == 20


def test_load_raises_with_every_problem(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "page: a\nentries:\n  x:\n    candidates: [{rol: button}]\n  y: {candidates: []}\n"
    )
    with pytest.raises(LoadError) as caught:
        load_catalogue(tmp_path)
    assert [d.message for d in caught.value.diagnostics] == [
        "unknown key 'rol' in a candidate of entry 'a.x'",
        "entry 'a.y' has no candidates",
    ]


def test_partial_catalogue_keeps_good_entries(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "page: a\nentries:\n  good: {candidates: [{text: Hi}]}\n  bad: {candidates: [{text: '/(/'}]}\n"
    )
    catalogue, diagnostics = read_catalogue(tmp_path)
    assert list(catalogue.entries) == ["a.good"]
    assert diagnostics[0].message.startswith("invalid regex in text")


def test_missing_catalogue_folder(tmp_path: Path) -> None:
    _, diagnostics = read_catalogue(tmp_path / "nope")
    assert diagnostics[0].message == "no such selector catalogue"
