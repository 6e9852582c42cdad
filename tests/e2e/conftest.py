"""E2E fixtures: a fake portal per test (free port, temp DB, test hooks on) and a Chromium for
pytest-playwright (the system one when Playwright's own build is not installed)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from fake_portal.testing import PortalServer, chromium_launch_args, find_chromium

TEST_TOKEN = "e2e-token"


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any], browser_name: str | None
) -> dict[str, Any]:
    if browser_name not in (None, "chromium"):
        return browser_type_launch_args
    args = dict(browser_type_launch_args)
    executable = find_chromium()
    if executable:
        args["executable_path"] = executable
    args["args"] = [*args.get("args", []), *chromium_launch_args()]
    return args


@pytest.fixture
def portal(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PortalServer]:
    """A demo portal; parametrize indirectly with the dialect ("2026" by default)."""
    dialect = getattr(request, "param", "2026")
    with PortalServer(
        seed="demo", dialect=dialect, db_path=tmp_path / "portal.db", test_token=TEST_TOKEN
    ) as server:
        yield server


@pytest.fixture
def shoot(page: Any, tmp_path: Path) -> Callable[..., Path]:
    """shoot("name") saves a numbered screenshot of the viewport under <tmp_path>/screenshots;
    shoot("name", of=other_page) shoots another page into the same series."""
    folder = tmp_path / "screenshots"
    folder.mkdir()
    taken: list[Path] = []

    def take(name: str, of: Any = None) -> Path:
        path = folder / f"{len(taken) + 1:02d}-{name}.png"
        (of or page).screenshot(path=str(path))
        taken.append(path)
        return path

    return take
