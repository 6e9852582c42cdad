"""A real bulk run's report.html, opened from disk in Chromium (file://, as an operator opens it):
the rows load from report-data/, failed first; the status filter, the key search and a row's
steps with its screenshot work; nothing is fetched from the network. `runbook status --report`
builds the same report again from the run folder."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from bulk_e2e import bulk_args, cli, write_csv
from playwright.sync_api import Page, expect, sync_playwright

from fake_portal.testing import PortalServer, chromium_launch_args, find_chromium

pytestmark = pytest.mark.e2e

USERS = [(f"user{i:02d}@acme.example", "Advanced" if i % 3 == 0 else "Eco") for i in range(1, 11)]
GHOSTS = [("ghost1@acme.example", "Eco"), ("ghost2@acme.example", "Eco")]  # not found: failed by the plan


@pytest.fixture(scope="module")
def run_dir(bulk_portal: PortalServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    bulk_portal.reset("bulk:10")
    tmp = tmp_path_factory.mktemp("report-page")
    csv = write_csv(tmp / "users.csv", USERS + GHOSTS)
    folder = tmp / "run"
    # A heap bound of 1 MB: every worker's context is opened afresh after each of its jobs (issue 11's
    # memory bound, read over CDP), and the report still finds every row's evidence.
    extra = ("--workers", "2", "--yes", "--recycle-every", "0", "--recycle-heap-mb", "1")
    result = cli(bulk_args(bulk_portal, csv, folder, *extra))
    assert result.code == 1, result.text[-3000:]  # the two ghosts failed
    recycled = re.search(r"browser contexts recycled: (\d+)", result.text)
    assert recycled and int(recycled[1]) >= 6, result.text[-1500:]  # 10 rows over 2 workers, after each
    return folder


@pytest.fixture
def page() -> Iterator[Page]:
    """A page of our own, not pytest-playwright's: its sync Playwright keeps an event loop running
    in this thread until the session ends, and later tests call asyncio.run."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=find_chromium(), args=chromium_launch_args())
        try:
            yield browser.new_page()
        finally:
            browser.close()


def test_the_report_opens_from_disk_and_finds_filters_and_expands_rows(run_dir: Path, page: Page) -> None:
    remote: list[str] = []
    page.on("request", lambda r: remote.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
    page.goto((run_dir / "report.html").as_uri())
    expect(page.get_by_role("heading", name=re.compile("Bulk run: downgrade_license — 12 rows"))).to_be_visible()
    rows = page.locator("#rows tbody tr.entry")
    expect(rows).to_have_count(12)
    expect(rows.nth(0)).to_have_class(re.compile(r"\bfailed\b"))  # failures first
    expect(rows.nth(1).locator("td.key")).to_have_text("ghost2@acme.example")
    expect(page.locator("#rows .count")).to_have_text("1–12 of 12")
    expect(page.locator("svg.chart g.series")).to_have_count(2)  # one line per worker

    page.locator("#rows .chip", has_text="failed").click()
    expect(rows).to_have_count(2)
    expect(page).to_have_url(re.compile(r"#status=failed$"))
    rows.nth(0).click()
    expect(page.locator("#rows tr.detail")).to_contain_text("No job ran for this row")

    page.locator("#rows .chip", has_text="all").click()
    page.get_by_role("searchbox", name="search rows").fill("user07@")
    expect(rows).to_have_count(1)
    expect(rows.locator("td.key")).to_have_text("user07@acme.example")
    rows.click()
    job = page.locator("#rows tr.detail details.job[open]")
    expect(job.locator("summary")).to_contain_text("reassign-r0007-")
    save = job.locator("tr.step", has_text="Save user07@acme.example on Eco")
    expect(save.locator("ul.asserts li.passed")).to_have_count(2)  # the checks after the step
    shot = save.locator("img.thumb")
    shot.scroll_into_view_if_needed()
    expect(shot).to_have_attribute("loading", "lazy")
    expect(shot).to_have_js_property("complete", True)
    assert shot.evaluate("img => img.naturalWidth") > 0  # the screenshot file beside the report loaded
    assert remote == []


def test_status_builds_the_report_again_from_the_run_folder(run_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    (copy / "report.html").unlink()
    shutil.rmtree(copy / "report-data")
    result = cli(["status", str(copy), "--report"])
    assert result.code == 1, result.text  # two rows failed
    assert f"report: {copy / 'report.html'}" in result.out
    html = (copy / "report.html").read_text()
    assert "10 changed" in html and "2 failed" in html
    assert len(list((copy / "report-data").glob("rows-*.js"))) == 3  # the page, its steps, the keys
