"""Catalogue entry + args -> one strict Locator, on a real page."""

from __future__ import annotations

import time

import pytest
from engine_builders import by, catalogue, entry, ref, role
from engine_site import site_catalogue
from playwright.async_api import Page

from executor.engine.locate import LocatorAmbiguous, LocatorNotFound, ScopeNotFound, UnknownEntry, probe, resolve

pytestmark = pytest.mark.e2e

CAT = site_catalogue()


def test_each_candidate_kind_finds_its_element(on_page) -> None:
    cat = catalogue(
        entry("k.role", role("button", "Save", exact=True)),
        entry("k.label", by("label", "Email address")),
        entry("k.text", by("text", "Available Eco licenses")),
        entry("k.test_id", by("test_id", "available")),
        entry("k.css", by("css", "#token")),
        entry(
            "k.placeholder_miss_then_role", by("placeholder", "nothing here"), role("heading", "My account")
        ),
        entry("k.has_text", role("row", has_text="bob@x.test")),
    )

    async def check(page: Page) -> list[tuple[str, int, bool]]:
        out = []
        for name in cat.entries:
            res = await resolve(page, cat, name, timeout_ms=1000)
            assert await res.locator.count() == 1
            out.append((name, res.candidate_index, res.fallback))
        return out

    found = on_page(check)
    assert ("k.placeholder_miss_then_role", 1, True) in found
    assert all(index == 0 for name, index, _ in found if name != "k.placeholder_miss_then_role")


def test_fallback_index_and_description_are_recorded(on_page) -> None:
    res = on_page(lambda page: resolve(page, CAT, "menu.licenses", timeout_ms=1000))
    assert (res.candidate_index, res.candidate_count, res.fallback) == (1, 3, True)
    assert res.description == "role=link name=/^Licen[cs]e and Purchase Management$/i"
    assert res.scope is not None and res.scope.entry == "menu.main"
    assert res.match().label == "fallback 2 of 3"


def test_ambiguity_is_an_error_naming_the_entry_and_the_count(on_page) -> None:
    with pytest.raises(LocatorAmbiguous) as err:
        on_page(lambda page: resolve(page, CAT, "users.any_manage", timeout_ms=200))
    message = str(err.value)
    assert message.startswith("selector users.any_manage is ambiguous on http://127.0.0.1:")
    assert "(up to 2)" in message and "role=button name='Manage' (2)" in message


def test_a_miss_lists_every_candidate_tried_with_its_count(on_page) -> None:
    started = time.monotonic()
    with pytest.raises(LocatorNotFound) as err:
        on_page(lambda page: resolve(page, CAT, "page.missing", timeout_ms=300))
    assert time.monotonic() - started < 5
    message = str(err.value)
    assert " — tried role=button name='Nope' (0), test_id='nope' (0), css='#nope' (0)" in message
    assert err.value.tried == (("role=button name='Nope'", 0), ("test_id='nope'", 0), ("css='#nope'", 0))


def test_args_fill_placeholders_regex_escaped_and_within_scopes(on_page) -> None:
    async def go(page: Page) -> tuple[str, str, str]:
        res = await resolve(page, CAT, ref("users.manage", email="bob@x.test"), timeout_ms=1000)
        await res.locator.click()
        status = await page.get_by_role("status").inner_text()
        return res.target, res.scope.description if res.scope else "", status

    target, scope, status = on_page(go)
    assert target == "users.manage(email=bob@x.test)"
    assert scope == "role=row name=/^bob@x\\.test\\b/"  # the dot is escaped inside the regex
    assert status == "Managing bob@x.test"


def test_a_missing_scope_says_so(on_page) -> None:
    # Not a LocatorNotFound: a check of absence must not read a missing scope as "absent".
    with pytest.raises(ScopeNotFound) as err:
        on_page(lambda page: resolve(page, CAT, ref("users.manage", email="zed@x.test"), timeout_ms=200))
    assert "selector users.row(email=zed@x.test) not found" in str(err.value)
    assert "(the scope of users.manage(email=zed@x.test))" in str(err.value)


def test_resolution_waits_for_content_that_arrives_later(on_page) -> None:
    async def go(page: Page) -> tuple[object, int]:
        await page.get_by_role("button", name="Show details").click()
        assert await probe(page, CAT, "page.details") is None  # not there yet (300 ms later)
        res = await resolve(page, CAT, "page.details", timeout_ms=3000)
        return res.entry, await res.locator.count()

    assert on_page(go) == ("page.details", 1)


def test_unknown_entry_and_missing_args(on_page) -> None:
    with pytest.raises(UnknownEntry, match="selector nope.nothing is not in the catalogue"):
        on_page(lambda page: resolve(page, CAT, "nope.nothing", timeout_ms=100))
    with pytest.raises(Exception, match="needs argument"):
        on_page(lambda page: resolve(page, CAT, "users.row", timeout_ms=100))


def test_any_mode_accepts_many_matches(on_page) -> None:
    async def go(page: Page) -> int:
        res = await resolve(page, CAT, "users.rows", timeout_ms=500, mode="any")
        return await res.locator.count()

    assert on_page(go) == 2
