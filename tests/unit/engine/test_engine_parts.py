"""The engine's small parts, without a browser: step text, placeholders, error summaries,
Chromium discovery, trace scrubbing, launch options, the session predicate."""

from __future__ import annotations

import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from engine_builders import a, by, click, fill, ref, role, text, when

from executor import browser
from executor.describe import step_yaml, title_of
from executor.engine.signatures import signature_holds
from executor.load.catalogue_loader import load_catalogue
from executor.errors import actual_value, summarize
from executor.engine.candidates import describe, fill_placeholders, filled_candidate, js_escape
from executor.engine.locate import Resolution
from executor.engine.memo import Memo
from executor.run_api import merged_launch_args
from executor.engine.trace_file import scrub_zip, secret_forms
from executor.run_api import run_sync


def test_step_yaml_reads_like_the_runbook() -> None:
    step = click(
        "licenses.checkout",
        31,
        name="Proceed to checkout",
        destructive=True,
        when=when("True"),
        expect=(
            a("visible", "dialog.checkout"),
            a("text", "licenses.total", contains="27.00", message="wrong total"),
        ),
    )
    assert step_yaml(step) == (
        "- click: licenses.checkout\n"
        "  name: Proceed to checkout\n"
        "  destructive: true\n"
        "  when: 'True'\n"
        "  expect:\n"
        "  - visible: dialog.checkout\n"
        "  - text:\n"
        "      target: licenses.total\n"
        "      contains: '27.00'\n"
        "      message: wrong total"
    )


def test_step_yaml_with_target_args_and_default_titles() -> None:
    from engine_builders import ref

    step = fill(ref("users.email", row="3"), "ann@x.test", 2)
    assert (
        step_yaml(step)
        == "- fill:\n    target:\n      target: users.email\n      args:\n        row: '3'\n    value: ann@x.test"
    )
    assert title_of(step) == "fill users.email(row=3)"
    assert title_of(click("a.b", name="Named")) == "Named"


def test_placeholders_are_filled_and_escaped_inside_regexes() -> None:
    assert (
        fill_placeholders("/^{email}\\b/", {"email": "a.b+c@x.test"}, regex=True)
        == "/^a\\.b\\+c@x\\.test\\b/"
    )
    assert fill_placeholders("Quantity of {tier} licenses", {"tier": "Eco"}) == "Quantity of Eco licenses"
    assert (
        fill_placeholders("^\\d{2}$ {tier}", {"tier": "Pro"}, regex=True) == "^\\d{2}$ Pro"
    )  # a quantifier stays
    assert js_escape("a(b)[c]/d") == "a\\(b\\)\\[c\\]\\/d"


def test_filled_candidates_describe_what_was_tried() -> None:
    regex = role("row", "/^{tier}\\b/i")
    assert describe(filled_candidate(regex, {"tier": "Pro+"})) == "role=row name=/^Pro\\+\\b/i"
    assert (
        describe(filled_candidate(by("test_id", "licenses-{tier}"), {"tier": "Eco"}))
        == "test_id='licenses-Eco'"
    )
    assert describe(role("row", has_text="bob")) == "role=row has_text='bob'"
    assert describe(by("css", "#x")) == "css='#x'"
    assert text("/^a$/i").ignore_case and text("/^a$/").regex and not text("plain").regex


def test_playwright_errors_are_summarised() -> None:
    expect_error = (
        "Locator expected to contain text '27.00'\nActual value: Total: 25.00 CAD \nCall log:\n"
        '  - Expect "to_contain_text" locator("#a") with timeout 300ms\n'
    )
    assert actual_value(expect_error) == "Total: 25.00 CAD"
    missing = "Locator expected to be visible\nActual value: None\nError: element(s) not found \nCall log:\n"
    assert actual_value(missing) == "element(s) not found"
    click_error = (
        'Locator.click: Timeout 300ms exceeded.\nCall log:\n  - waiting for get_by_role("button")\n'
        "    - locator resolved to <button disabled>B</button>\n  - attempting click action\n"
        "    2 × waiting for element to be visible, enabled and stable\n      - element is not enabled\n"
        "    - retrying click action\n    - waiting 20ms\n"
    )
    assert summarize(click_error) == (
        "Locator.click: Timeout 300ms exceeded. (waiting for element to be visible, enabled and stable; "
        "element is not enabled)"
    )
    assert summarize("net::ERR_CONNECTION_REFUSED at http://x/") == "net::ERR_CONNECTION_REFUSED at http://x/"


def test_find_chromium_prefers_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNBOOK_CHROMIUM", "/opt/my/chrome")
    assert browser.find_chromium() == "/opt/my/chrome"
    monkeypatch.delenv("RUNBOOK_CHROMIUM")
    monkeypatch.setattr(browser, "_managed_chromium", lambda: "/cache/ms-playwright/chrome")
    assert browser.find_chromium() == "/cache/ms-playwright/chrome"


def test_find_chromium_falls_back_to_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RUNBOOK_CHROMIUM", raising=False)
    monkeypatch.setattr(browser, "_managed_chromium", lambda: None)
    monkeypatch.setattr(browser.os, "access", lambda path, mode: False)
    monkeypatch.setattr(
        browser.shutil, "which", lambda name: f"/bin/{name}" if name == "google-chrome" else None
    )
    assert browser.find_chromium() == "/bin/google-chrome"
    monkeypatch.setattr(browser.shutil, "which", lambda name: None)
    assert browser.find_chromium() is None
    with pytest.raises(browser.ChromiumNotFound, match="set RUNBOOK_CHROMIUM"):
        browser.launch_args()


def test_launch_args_flags_sandbox_and_executable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser, "_managed_chromium", lambda: "/managed/chrome")
    monkeypatch.setattr(browser, "find_chromium", lambda: "/usr/bin/chromium")
    monkeypatch.setattr(browser, "_is_root", lambda: True)
    args = browser.launch_args(headed=True, slow_mo_ms=50)
    assert args == {
        "headless": False,
        "args": [
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-sandbox",
        ],
        "executable_path": "/usr/bin/chromium",
        "slow_mo": 50,
    }
    monkeypatch.setattr(browser, "_is_root", lambda: False)
    monkeypatch.setattr(browser, "find_chromium", lambda: "/managed/chrome")
    managed = browser.launch_args()
    assert "executable_path" not in managed and "--no-sandbox" not in managed["args"] and managed["headless"]


def test_pytest_playwright_launch_args_win_over_ours(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser, "find_chromium", lambda: "/usr/bin/chromium")
    monkeypatch.setattr(browser, "_managed_chromium", lambda: None)
    merged = merged_launch_args(
        {"headless": False, "slow_mo": 100, "args": ["--lang=fr"]}, headed=False, slow_mo_ms=0
    )
    assert merged["headless"] is False and merged["slow_mo"] == 100
    assert merged["executable_path"] == "/usr/bin/chromium"
    assert merged["args"][0] == "--disable-gpu" and merged["args"][-1] == "--lang=fr"
    channel = merged_launch_args({"channel": "chrome"}, headed=False, slow_mo_ms=0)
    assert "executable_path" not in channel and channel["channel"] == "chrome"


def test_scrub_zip_replaces_every_form_of_a_secret(tmp_path: Path) -> None:
    secret = 'p@ss "word"&<1>'
    raw, clean = tmp_path / "raw.zip", tmp_path / "clean.zip"
    with zipfile.ZipFile(raw, "w") as z:
        z.writestr("trace.trace", '{"method":"fill","params":{"value":"p@ss \\"word\\"&<1>"}}')
        z.writestr("resources/body", "password=p%40ss+%22word%22%26%3C1%3E&x=1")
        z.writestr("resources/page.html", "<input value='p@ss &quot;word&quot;&amp;&lt;1&gt;'>")
        z.writestr("resources/shot.jpeg", b"\xff\xd8\xffbinary")
    scrub_zip(raw, clean, [secret])
    with zipfile.ZipFile(clean) as z:
        contents = {name: z.read(name) for name in z.namelist()}
    assert contents["trace.trace"] == b'{"method":"fill","params":{"value":"***"}}'
    assert contents["resources/body"] == b"password=***&x=1"
    assert contents["resources/page.html"] == b"<input value='***'>"
    assert contents["resources/shot.jpeg"] == b"\xff\xd8\xffbinary"
    assert all(form not in data for data in contents.values() for form in secret_forms(secret))


PORTAL = load_catalogue(Path(__file__).resolve().parents[3] / "selectors")


@pytest.mark.parametrize(
    ("url", "expired"),
    [
        ("http://portal/login?expired=1", True),
        ("http://portal/login?next=/x&expired=1", True),
        ("http://portal/Connexion.aspx?ReturnUrl=%2fusers", True),
        ("http://portal/Login.aspx?ReturnUrl=%2fLicences.aspx", True),
        ("http://portal/login", False),
        ("http://portal/login?expired=0", False),
        ("http://portal/Connexion.aspx", False),
        ("http://portal/licenses?expired=1", False),
    ],
)
def test_the_catalogue_says_what_a_logged_out_page_looks_like(url: str, expired: bool) -> None:
    """The engine names no portal URL: the signature is `selectors/portal.yaml`'s."""
    page = SimpleNamespace(url=url, is_closed=lambda: False)
    signature = PORTAL.portal.logged_out
    assert signature is not None
    assert run_sync(signature_holds(page, PORTAL, signature)) is expired  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "on_login"),
    [
        ("http://portal/login", True),
        ("http://portal/login?expired=1", True),
        ("http://portal/Connexion.aspx", True),
        ("http://portal/login/code", False),
        ("http://portal/users", False),
    ],
)
def test_a_bulk_worker_recognises_the_sign_in_page(url: str, on_login: bool) -> None:
    page = SimpleNamespace(url=url, is_closed=lambda: False)
    signature = PORTAL.portal.login_page
    assert signature is not None
    assert run_sync(signature_holds(page, PORTAL, signature)) is on_login  # type: ignore[arg-type]


def _resolution(entry: str, index: int, scope: Resolution | None = None) -> Resolution:
    return Resolution(entry, entry, None, index, 2, "d", index > 0, scope)  # type: ignore[arg-type]


def test_the_memo_keeps_only_first_candidate_resolutions_per_target_and_args() -> None:
    memo = Memo()
    first = _resolution("users.manage", 0, scope=_resolution("users.row", 0))
    memo.remember(ref("users.manage", email="a@x.test"), first)
    assert memo.get(ref("users.manage", email="a@x.test")) is first
    assert memo.get(ref("users.manage", email="b@x.test")) is None  # other args, other target
    # a fallback at any level is searched every time: the order of the candidates keeps its meaning
    memo.remember(ref("users.manage", email="c@x.test"), _resolution("users.manage", 0, _resolution("users.row", 1)))
    memo.remember(ref("menu.options"), _resolution("menu.options", 1))
    assert memo.get(ref("users.manage", email="c@x.test")) is None and memo.get(ref("menu.options")) is None
    memo.forget(ref("users.manage", email="a@x.test"))
    assert memo.get(ref("users.manage", email="a@x.test")) is None
