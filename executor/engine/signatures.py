"""The catalogue's page signatures (`selectors/portal.yaml`): is this the page the portal shows a
logged-out session? The engine asks after every step; the catalogue says how to tell."""

from __future__ import annotations

import re

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

from executor.engine.locate import probe
from executor.model.catalogue import Catalogue, Signature


async def signature_holds(page: Page, catalogue: Catalogue, signature: Signature) -> bool:
    """True when the page matches: its URL matches `url_matches` (searched) and `entry`, when
    given, is visible. A URL that does not match costs no round trip."""
    if page.is_closed():
        return False
    if signature.url_matches is not None and re.search(signature.url_matches, page.url) is None:
        return False
    if signature.entry is None:
        return True
    try:
        found = await probe(page, catalogue, signature.entry)
        return found is not None and await found.locator.is_visible()
    except PlaywrightError:
        return False
