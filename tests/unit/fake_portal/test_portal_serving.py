"""Starting the portal: the CLI (`python -m fake_portal`), the in-process PortalServer, concurrency."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from fake_portal import licensing
from fake_portal.db import Database
from fake_portal.rules import RuleViolation
from fake_portal.seeds import apply_seed
from fake_portal.testing import PortalProcess, PortalServer, chromium_launch_args


def test_cli_prints_the_url_first_and_answers_within_two_seconds(tmp_path: Path) -> None:
    began = time.monotonic()
    with PortalProcess(db_path=tmp_path / "p.db", dialect="2024", extra_args=["--fault-seed", "1"]) as portal:
        assert portal.url.startswith("http://127.0.0.1:")
        assert time.monotonic() - began < 2.0, portal.started_in_s
        assert portal.state()["monthly_bill"] == 380.0
        portal.set_faults(maintenance=True, paths=["/licenses"])
        portal.reset("bulk:3")
        assert len(portal.state()["users"]) == 4


def test_cli_refuses_bad_arguments() -> None:
    bad_seed = subprocess.run(
        [sys.executable, "-m", "fake_portal", "--seed", "huge"], capture_output=True, text=True, timeout=20
    )
    assert bad_seed.returncode == 2 and "unknown seed" in bad_seed.stderr and bad_seed.stdout == ""
    bad_rate = subprocess.run(
        [sys.executable, "-m", "fake_portal", "--error-rate", "3"], capture_output=True, text=True, timeout=20
    )
    assert bad_rate.returncode == 2 and "error_rate" in bad_rate.stderr


def test_cli_keeps_existing_data_unless_reset(tmp_path: Path) -> None:
    db = tmp_path / "kept.db"
    with PortalProcess(db_path=db) as portal:
        portal.reset("empty")
    keep = PortalProcess(db_path=db)
    keep.args.remove("--reset")
    with keep:
        assert len(keep.state()["users"]) == 1


def test_portal_server_in_process(tmp_path: Path) -> None:
    with PortalServer(db_path=tmp_path / "s.db", seed="empty", dialect="2024") as portal:
        assert portal.url.startswith("http://127.0.0.1:")
        assert [u["email"] for u in portal.state()["users"]] == ["admin@acme.example"]
        portal.set_dialect("2026")
        portal.set_labels({"lic_add": "Buy"})
        portal.set_faults(latency_ms=1)
        portal.set_faults()
        assert portal.expire_sessions() == 0
    assert (tmp_path / "s.db").exists()  # a database the caller named is kept


def test_portal_server_temp_db_is_removed() -> None:
    portal = PortalServer().start()
    path = portal._app.state.portal.owned_path
    assert path and Path(path).exists()
    portal.stop()
    assert not Path(path).exists()


def test_parallel_clients_cannot_oversell_the_pool(tmp_path: Path) -> None:
    db = Database(str(tmp_path / "race.db"))
    with db.write() as tx:
        apply_seed(tx, "demo")
        ids = [
            r["id"]
            for r in tx.all(
                "SELECT id FROM users WHERE email IN (?, ?, ?, ?)",
                ("user19@acme.example", "user20@acme.example", "admin@acme.example", "secops@acme.example"),
            )
        ]
    results: list[str] = []
    start = threading.Barrier(len(ids))

    def grab(user_id: int) -> None:
        start.wait()
        try:
            with db.write() as tx:
                licensing.assign(tx, "race", user_id, "Eco")
            results.append("ok")
        except RuleViolation:
            results.append("refused")

    threads = [threading.Thread(target=grab, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ok", "refused", "refused", "refused"]
    with db.read() as tx:
        assert licensing.pool(tx)["Eco"].available == 0
    db.close()


def test_chromium_args_drop_the_sandbox_only_as_root() -> None:
    import os

    args = chromium_launch_args()
    assert "--disable-gpu" in args and ("--no-sandbox" in args) == (os.geteuid() == 0)


def _http_login(client: Any, email: str) -> None:
    """Asks for a sign-in link with an httpx client, through the real login form."""
    page = client.get("/login").text
    captcha = re.search(r'Captcha: ([0-9 ]+)"', page)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert captcha and csrf
    client.post(
        "/login", data={"email": email, "captcha": captcha.group(1).replace(" ", ""), "csrf": csrf.group(1)}
    )


def test_parallel_browsers_over_http_cannot_oversell(tmp_path: Path) -> None:
    with PortalServer(db_path=tmp_path / "http.db") as portal:
        clients = [
            httpx.Client(base_url=portal.url, follow_redirects=True, trust_env=False) for _ in range(4)
        ]
        emails = ["admin@acme.example"] * 4
        csrfs = []
        for client, email in zip(clients, emails, strict=True):
            _http_login(client, email)
            home = client.get(portal.login_link(email))
            token = re.search(r'name="csrf" value="([^"]+)"', home.text)
            assert token, home.text
            csrfs.append(token.group(1))
        barrier = threading.Barrier(len(clients))
        codes: list[str] = []

        def remove(client: httpx.Client, csrf: str) -> None:
            barrier.wait()
            page = client.post("/licenses/remove", data={"tier": "Eco", "quantity": "1", "csrf": csrf}).text
            codes.append("removed" if "1 Eco license(s) removed." in page else "refused")

        threads = [threading.Thread(target=remove, args=pair) for pair in zip(clients, csrfs, strict=True)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for client in clients:
            client.close()
        assert sorted(codes) == ["refused", "refused", "refused", "removed"]
        assert portal.state()["pool"]["Eco"] == {"total": 5, "assigned": 5, "available": 0}
