"""Helpers for tests and demos: run a fake portal in-process (PortalServer) or as a subprocess
(PortalProcess), drive its /_test hooks, and find a Chromium for Playwright."""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

DEFAULT_TOKEN = "test-token"
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never send 127.0.0.1 to a proxy


class PortalError(RuntimeError):
    """The portal did not start, or a test hook refused a call."""


class HookClient:
    """The /_test/* contract as Python calls. Needs `url` and `token`."""

    url: str
    token: str

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"X-Test-Token": self.token, "Content-Type": "application/json"},
        )
        try:
            with _NO_PROXY.open(request, timeout=30) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as problem:
            raise PortalError(
                f"{method} {path}: HTTP {problem.code}: {problem.read().decode(errors='replace')}"
            ) from None

    def state(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/_test/state")
        return result

    def outbox(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/_test/outbox")
        return result

    def reset(self, seed: str = "demo") -> None:
        self._call("POST", "/_test/reset", {"seed": seed})

    def set_faults(self, **faults: Any) -> dict[str, Any]:
        """latency_ms, jitter_ms, error_rate, lost_response_rate, session_ttl_s, maintenance, paths, seed.
        Replaces every fault: set_faults() with no argument clears them."""
        result: dict[str, Any] = self._call("POST", "/_test/faults", faults)
        return result

    def faults_injected(self) -> dict[str, int]:
        """Faults served since they were last set: server_error, lost_response, maintenance."""
        result: dict[str, int] = self._call("GET", "/_test/faults")["injected"]
        return result

    def set_dialect(self, dialect: str) -> None:
        self._call("POST", "/_test/dialect", {"dialect": dialect})

    def set_labels(self, overrides: dict[str, str]) -> None:
        """Rename labels at run time ({} restores the dialect's texts)."""
        self._call("POST", "/_test/labels", {"overrides": overrides})

    def expire_sessions(self) -> int:
        return int(self._call("POST", "/_test/expire_sessions")["expired"])

    def user(self, email: str) -> dict[str, Any]:
        return next(u for u in self.state()["users"] if u["email"] == email)

    def login_link(self, email: str) -> str:
        """The newest sign-in link sent to `email`."""
        links = [m["link"] for m in self.outbox() if m["to"] == email and m["link"]]
        if not links:
            raise PortalError(f"no sign-in link was sent to {email}")
        return str(links[-1])

    def payments(self) -> dict[str, Any]:
        """{"provider_url": ..., "payments": [...]}: where the payment provider answers, and the card
        payments the portal redeemed (id, order_id, at, amount, card_last4)."""
        result: dict[str, Any] = self._call("GET", "/_test/payments")
        return result

    def sms_code(self, email: str) -> str:
        """The newest SMS code sent to `email` (SMS are filed under the user's e-mail address)."""
        codes = [m["code"] for m in self.outbox() if m["to"] == email and m["kind"] == "sms"]
        if not codes:
            raise PortalError(f"no SMS code was sent to {email}")
        return str(codes[-1])


class PortalServer(HookClient):
    """A fake portal served by uvicorn in a background thread (its own event loop).

    with PortalServer(seed="demo", dialect="2024") as portal:
        page.goto(portal.url + "/login"); ...; portal.state()

    `provider_url` is where the stand-in payment provider answers (fr-ca checkout), on its own port.
    """

    def __init__(
        self,
        *,
        seed: str = "demo",
        dialect: str = "2026",
        db_path: str | os.PathLike[str] | None = None,
        test_token: str = DEFAULT_TOKEN,
        host: str = "127.0.0.1",
        port: int = 0,
        session_ttl_s: float = 1800.0,
        faults: dict[str, Any] | None = None,
        fault_seed: int | None = None,
        reset: bool = True,
        startup_timeout_s: float = 10.0,
    ) -> None:
        from .config import FaultSettings, PortalConfig

        self.token = test_token
        self.config = PortalConfig(
            host=host,
            port=port,
            db_path=None if db_path is None else str(db_path),
            seed=seed,
            reset=reset,
            dialect=dialect,
            test_token=test_token,
            session_ttl_s=session_ttl_s,
            faults=FaultSettings.from_mapping(faults or {}),
            fault_seed=fault_seed,
        )
        self.startup_timeout_s = startup_timeout_s
        self.url = ""
        self.provider_url = ""
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._app: Any = None

    def start(self) -> PortalServer:
        from .app import create_app, listen
        from .serve import make_server

        self._app = create_app(self.config)
        served = listen(self._app, self.config.host, self.config.port, self.config.provider_port)
        self.url, self.provider_url = served.url, served.provider_url
        self._server = make_server(served.app)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": served.sockets},
            name=f"fake-portal {self.url}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + self.startup_timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise PortalError("the fake portal did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._app is not None:
            self._app.state.portal.close()
            self._app = None

    def __enter__(self) -> PortalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class PortalProcess(HookClient):
    """`python -m fake_portal --port 0 ...` as a subprocess; the URL is read from its first line and
    the payment provider's URL from its second."""

    def __init__(
        self,
        *,
        seed: str = "demo",
        dialect: str = "2026",
        db_path: str | os.PathLike[str] | None = None,
        test_token: str = DEFAULT_TOKEN,
        extra_args: list[str] | tuple[str, ...] = (),
        startup_timeout_s: float = 15.0,
        python: str = sys.executable,
    ) -> None:
        self.token = test_token
        self.url = ""
        self.provider_url = ""
        self.args = [
            python,
            "-m",
            "fake_portal",
            "--port",
            "0",
            "--seed",
            seed,
            "--dialect",
            dialect,
            "--test-hooks",
            test_token,
            "--reset",
            *extra_args,
        ]
        if db_path is not None:
            self.args += ["--db", str(db_path)]
        self.startup_timeout_s = startup_timeout_s
        self.process: subprocess.Popen[str] | None = None
        self.started_in_s = 0.0

    def start(self) -> PortalProcess:
        began = time.monotonic()
        self.process = subprocess.Popen(
            self.args,
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            cwd=str(Path(__file__).resolve().parent.parent),
        )
        lines: list[str] = []
        reader = threading.Thread(
            target=lambda: lines.extend(self._stdout().readline() for _ in range(2)), daemon=True
        )
        reader.start()
        reader.join(self.startup_timeout_s)
        if len(lines) < 2 or not all(line.startswith("http") for line in lines):
            self.stop()
            raise PortalError(f"the fake portal printed no URLs (got {lines!r})")
        self.url, self.provider_url = (line.strip() for line in lines)
        # Keep reading so a chatty child never blocks on a full pipe.
        threading.Thread(target=lambda: self._stdout().read(), daemon=True).start()
        while True:
            try:
                _NO_PROXY.open(self.url + "/login", timeout=2).close()
                break
            except (urllib.error.URLError, OSError):
                if time.monotonic() - began > self.startup_timeout_s or self.process.poll() is not None:
                    self.stop()
                    raise PortalError("the fake portal does not answer") from None
                time.sleep(0.01)
        self.started_in_s = time.monotonic() - began
        return self

    def _stdout(self) -> Any:
        assert self.process is not None and self.process.stdout is not None
        return self.process.stdout

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> PortalProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- Chromium for Playwright ---------------------------------------------------------------------


def _playwright_chromium_installed() -> bool:
    """True when the Chromium build this Playwright version expects is downloaded."""
    try:
        import playwright

        browsers = json.loads(
            (Path(playwright.__file__).parent / "driver" / "package" / "browsers.json").read_text()
        )
    except (ImportError, OSError, ValueError):
        return False
    root = os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or str(Path.home() / ".cache" / "ms-playwright")
    for browser in browsers.get("browsers", []):
        if browser.get("name") == "chromium":
            pattern = os.path.join(root, f"chromium-{browser.get('revision')}", "chrome-*", "chrome")
            return bool(glob.glob(pattern))
    return False


def find_chromium() -> str | None:
    """The executable to hand Playwright, or None to let Playwright use its own Chromium.

    Order: $RUNBOOK_CHROMIUM; Playwright's own build if installed (None); /usr/bin/chromium;
    `chromium` or `chromium-browser` on PATH. None also when nothing is found (Playwright then says
    how to install its browser)."""
    explicit = os.environ.get("RUNBOOK_CHROMIUM")
    if explicit:
        return explicit
    if _playwright_chromium_installed():
        return None
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def chromium_launch_args() -> list[str]:
    args = [
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.insert(0, "--no-sandbox")  # Chromium refuses to start its sandbox as root
    return args


def temp_db_path() -> str:
    """A fresh path in a new temporary folder (the caller removes the folder)."""
    return os.path.join(tempfile.mkdtemp(prefix="fake-portal-"), "portal.db")
