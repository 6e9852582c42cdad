"""Pattern-site fixtures: the site and its payment provider, served once per test session.

`pattern_site` (session): a PatternSite with `.url` (http://127.0.0.1:<A>), `.provider_url`
(http://localhost:<B>), `.state() -> dict` (GET /_state), `.reset()` (POST /_reset) and `.expire()`
(POST /_expire). `fresh_site` (per test, not autouse): the same site, state reset first.
Pages, accessible names and state keys: the docstring of patterns_site.py.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from patterns_server import PatternSite  # noqa: E402 - after the path tweak


@pytest.fixture(scope="session")
def pattern_site() -> Iterator[PatternSite]:
    with PatternSite() as site:
        yield site


@pytest.fixture
def fresh_site(pattern_site: PatternSite) -> PatternSite:
    pattern_site.reset()
    return pattern_site
