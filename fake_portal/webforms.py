"""The ASP.NET WebForms idioms the fr-ca portal reproduces, as the markup a WebForms page emits:

- OnClientClick="return confirm('…')" on a destructive button: a native confirm() box; Cancel means the
  click does nothing (the handler returns false, so the form is not submitted).
- RegisterStartupScript("alert('…')"): an inline script at the end of the page that shows a native
  alert() as soon as the page is parsed.
- AutoPostBack on a <select>: onchange="__doPostBack('id','')" posts the whole form back to the page's
  own URL (static/webforms.js), with __EVENTTARGET naming the control and the page's __VIEWSTATE.
- __VIEWSTATE: the page's own state, signed (ASP.NET's ViewState MAC), so a tampered one is refused.

Inline script is what WebForms does; the pages still run under a CSP that allows only these exact
scripts (by hash and nonce, csp.py), so the portal's "nothing inline runs" guarantee holds for
anything else.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any

from markupsafe import Markup

from .signing import sign, verify

VIEWSTATE = "__VIEWSTATE"
EVENT_TARGET = "__EVENTTARGET"
_VIEWSTATE_PURPOSE = "viewstate"

_JS_ESCAPES = {
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "<": "\\x3C",  # so "</script>" can never appear inside a script element
    ">": "\\x3E",
    "&": "\\x26",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def js_string(text: str) -> str:
    """A single-quoted JavaScript string literal, as WebForms writes them."""
    return "'" + "".join(_JS_ESCAPES.get(ch, ch) for ch in text) + "'"


def _csp_hash(source: str) -> str:
    digest = hashlib.sha256(source.encode()).digest()
    return "'sha256-" + base64.b64encode(digest).decode() + "'"


class ClientScript:
    """The inline script of one rendered page (ASP.NET's ClientScriptManager): every piece is
    recorded so the page's CSP can allow exactly those and nothing more."""

    def __init__(self) -> None:
        self._handlers: set[str] = set()
        self._nonce: str | None = None

    def _handler(self, source: str) -> str:
        self._handlers.add(source)
        return source

    def confirm(self, text: str) -> str:
        """The onclick value of a button that asks first: OnClientClick="return confirm('…');"."""
        return self._handler(f"return confirm({js_string(text)});")

    def postback(self, control_id: str) -> str:
        """The onchange value of an AutoPostBack control."""
        return self._handler(f"__doPostBack({js_string(control_id)},'')")

    def startup_alert(self, text: str) -> Markup:
        """A RegisterStartupScript("alert('…')") block, placed at the end of the page."""
        if self._nonce is None:
            self._nonce = secrets.token_urlsafe(18)
        return Markup(f'<script nonce="{self._nonce}">alert({js_string(text)});</script>')

    @property
    def used(self) -> bool:
        return bool(self._handlers) or self._nonce is not None

    def csp_sources(self) -> list[str]:
        sources = ["'unsafe-hashes'", *sorted(_csp_hash(h) for h in self._handlers)] if self._handlers else []
        if self._nonce is not None:
            sources.append(f"'nonce-{self._nonce}'")
        return sources


def viewstate(key: bytes, state: dict[str, Any]) -> str:
    return sign(key, _VIEWSTATE_PURPOSE, state)


def read_viewstate(key: bytes, token: str) -> dict[str, Any]:
    """The state a page was rendered with; signing.BadToken when it was tampered with."""
    return verify(key, _VIEWSTATE_PURPOSE, token)
