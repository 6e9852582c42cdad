"""Bulk e2e: one fake portal per test module, in the test process (helpers: bulk_e2e.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bulk_e2e import TOKEN  # noqa: E402 - after the path tweak

from fake_portal.testing import PortalServer


@pytest.fixture(scope="module")
def bulk_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PortalServer]:
    db = tmp_path_factory.mktemp("portal") / "portal.db"
    with PortalServer(seed="bulk:50", db_path=db, test_token=TOKEN) as server:
        yield server
