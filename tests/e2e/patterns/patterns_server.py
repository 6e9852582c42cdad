"""PatternSite: the pattern site (http://127.0.0.1:<A>) and its payment provider (http://localhost:<B>,
another host name and port: a truly cross-origin frame), each served by uvicorn in a background
thread on a socket bound here (free ports), like fake_portal.testing.PortalServer.

    with PatternSite() as site:
        page.goto(site.url + "/licenses"); ...; site.state()["deleted"]
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.request
from typing import Any, Self

from patterns_provider import create_provider_app
from patterns_site import SiteState, create_site_app

from fake_portal.serve import bind, make_server, url_of

_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never send 127.0.0.1 to a proxy


class PatternSiteError(RuntimeError):
    """The site did not start."""


class PatternSite:
    def __init__(self, *, startup_timeout_s: float = 10.0) -> None:
        self.url = ""  # http://127.0.0.1:<A>
        self.provider_url = ""  # http://localhost:<B>
        self.startup_timeout_s = startup_timeout_s
        self._servers: list[Any] = []
        self._threads: list[threading.Thread] = []

    # the ground truth, over HTTP like a test would see it

    def _call(self, method: str, path: str) -> Any:
        data = b"" if method == "POST" else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        with _NO_PROXY.open(request, timeout=10) as response:
            return json.loads(response.read())

    def state(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/_state")
        return result

    def reset(self) -> None:
        self._call("POST", "/_reset")

    def expire(self) -> None:
        """End the session: every page but /Login.aspx now redirects there."""
        self._call("POST", "/_expire")

    # serving

    def start(self) -> Self:
        site_sock = bind("127.0.0.1", 0)
        provider_sock = bind("127.0.0.1", 0)  # reached as localhost: /etc/hosts says 127.0.0.1
        self.url = url_of(site_sock)
        self.provider_url = f"http://localhost:{provider_sock.getsockname()[1]}"
        secret = secrets.token_bytes(32)  # signs the provider's one-time payment tokens
        site_app = create_site_app(SiteState(), secret=secret, site_url=self.url, provider_url=self.provider_url)
        provider_app = create_provider_app(secret, site_url=self.url)
        apps = [(site_app, site_sock, "pattern site"), (provider_app, provider_sock, "payment provider")]
        for app, sock, name in apps:
            server = make_server(app)  # no access log: nothing a page posts is ever logged
            thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=name, daemon=True)
            self._servers.append(server)
            self._threads.append(thread)
            thread.start()
        deadline = time.monotonic() + self.startup_timeout_s
        while not all(server.started for server in self._servers):
            if not all(t.is_alive() for t in self._threads) or time.monotonic() > deadline:
                self.stop()
                raise PatternSiteError("the pattern site did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.should_exit = True
        for thread in self._threads:
            thread.join(timeout=10)
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
