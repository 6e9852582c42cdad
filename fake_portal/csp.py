"""The Content-Security-Policy of the portal's pages.

Every page gets the strict default: no inline script or style at all, no framing either way. A fr-ca
page that carries WebForms inline script (webforms.ClientScript) or frames the payment provider gets
the same policy widened by exactly those: the hashes of its inline handlers, the nonce of its startup
script, the provider's origin in frame-src. Nothing else inline can run.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

_BASE = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'none'",
}


def policy(script_sources: Iterable[str] = (), frame_origins: Iterable[str] = ()) -> str:
    directives = dict(_BASE)
    extra_scripts = " ".join(script_sources)
    if extra_scripts:
        directives["script-src"] += " " + extra_scripts
    frames = " ".join(sorted(set(frame_origins)))
    if frames:
        directives["frame-src"] = frames
    return "; ".join(f"{name} {value}" for name, value in directives.items())


DEFAULT = policy()


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
