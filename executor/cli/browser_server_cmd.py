"""`runbook browser-server`: a Playwright browser server on this machine, for other machines' runs.

A thin wrapper over Playwright's own `BrowserType.launchServer`, run by the Node.js that ships
inside the Playwright package (so the server's Playwright is exactly the client's: the protocol
requires the same version on both ends). No protocol of ours: any Playwright client connects with
`chromium.connect(ws_endpoint)`. The process becomes the server: it prints its `ws://` endpoint as
the first line of stdout, and SIGTERM (or Ctrl-C) closes the browser and exits.

The endpoint's path is a random secret Playwright draws: whoever has the address can drive the
browser. It listens on 127.0.0.1 unless `--host` says otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from executor.browser import ChromiumNotFound, chromium_flags, find_chromium
from executor.cli.common import EXIT_INVALID

NAME = "browser-server"
EXAMPLES = """\
examples:
  runbook browser-server --port 0                 # prints ws://127.0.0.1:PORT/SECRET, then serves
  runbook browser-server --port 3000 --host 0.0.0.0
  runbook run downgrade_license --input users.csv --browser-server ws://HOST:3000/SECRET ...

Stop it with SIGTERM or Ctrl-C. The client's Playwright version must be the server's: run the
same version of this project on both machines (or Playwright's own server of that version).
"""

# launchServer, then the endpoint on stdout; the settings come in the environment.
_SERVER_JS = """
const { chromium } = require(process.env.RUNBOOK_PW_PACKAGE);
(async () => {
  const options = JSON.parse(process.env.RUNBOOK_SERVER_OPTIONS);
  const server = await chromium.launchServer(options);
  process.stdout.write(server.wsEndpoint() + "\\n");
  const stop = async () => { try { await server.close(); } finally { process.exit(0); } };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
})().catch(err => { process.stderr.write(`browser-server: ${err.message}\\n`); process.exit(1); });
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        NAME,
        help="serve a Chromium to remote runs (Playwright's own browser server)",
        description="Start a Playwright browser server on this machine; print its ws:// endpoint first.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--port", type=int, default=0, help="the port to listen on (0: a free one, the default)")
    p.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)")
    p.add_argument("--headed", action="store_true", help="show the browser's windows (needs a display)")
    p.set_defaults(func=run)


def driver() -> tuple[str, Path]:
    """Playwright's bundled Node.js and its package folder."""
    from playwright._impl._driver import compute_driver_executable

    node, cli = compute_driver_executable()
    return str(node), Path(cli).parent


def server_options(args: argparse.Namespace) -> dict[str, object]:
    executable = find_chromium()
    if executable is None:
        raise ChromiumNotFound("no Chromium on this machine: set RUNBOOK_CHROMIUM or install chromium")
    return {
        "executablePath": executable,
        "args": chromium_flags(),
        "headless": not args.headed,
        "port": args.port,
        "host": args.host,
    }


def run(args: argparse.Namespace) -> int:
    try:
        options = server_options(args)
    except ChromiumNotFound as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_INVALID
    node, package = driver()
    env = {**os.environ, "RUNBOOK_PW_PACKAGE": str(package), "RUNBOOK_SERVER_OPTIONS": json.dumps(options)}
    sys.stdout.flush()
    # The process becomes the server: signals reach it directly, and nothing of ours sits between.
    os.execve(node, [node, "-e", _SERVER_JS], env)
    return 0  # not reached
