"""Command line: fake-portal --host 127.0.0.1 --port PORT --db PATH --seed SCENARIO
--dialect 2026|2024|fr-ca [--provider-port PORT] [--test-hooks TOKEN] [fault flags].

The first line of stdout is the portal's URL, printed once the socket listens; the second line is the
URL of the stand-in payment provider (the fr-ca checkout frames it), on its own port of the same host."""

from __future__ import annotations

import argparse
import sys

from .config import ALL_DIALECTS, DEFAULT_SESSION_TTL_S, FaultSettings, PortalConfig, SettingsError


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="fake-portal", description="Local stand-in for the Secure Exchanges portal."
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    p.add_argument(
        "--provider-port", type=int, default=0, help="the payment provider's port (default: a free one)"
    )
    p.add_argument("--db", dest="db_path", help="SQLite file (default: a temporary file removed at exit)")
    p.add_argument("--seed", default="demo", help="demo | empty | bulk:N (default: demo)")
    p.add_argument("--reset", action="store_true", help="re-seed even if the database already holds data")
    p.add_argument("--dialect", choices=ALL_DIALECTS, default="2026", help="label dialect (default: 2026)")
    p.add_argument("--test-hooks", dest="test_token", metavar="TOKEN", help="enable /_test/* with this token")
    p.add_argument("--access-log", action="store_true", help="log every request to stderr")
    faults = p.add_argument_group("faults")
    faults.add_argument("--latency-ms", type=int, default=0)
    faults.add_argument("--jitter-ms", type=int, default=0)
    faults.add_argument(
        "--error-rate", type=float, default=0.0, help="share of POSTs answered 500, unchanged"
    )
    faults.add_argument(
        "--lost-response-rate", type=float, default=0.0, help="share of POSTs committed then answered 502"
    )
    faults.add_argument(
        "--session-ttl", type=float, default=DEFAULT_SESSION_TTL_S, help="idle timeout, seconds"
    )
    faults.add_argument("--maintenance", action="store_true", help="answer 503 everywhere")
    faults.add_argument(
        "--fault-paths", help="comma-separated path prefixes the faults apply to (default: all)"
    )
    faults.add_argument("--fault-seed", type=int, help="seed of the fault randomness")
    return p


def config_from(args: argparse.Namespace) -> PortalConfig:
    faults = FaultSettings.from_mapping(
        {
            "latency_ms": args.latency_ms,
            "jitter_ms": args.jitter_ms,
            "error_rate": args.error_rate,
            "lost_response_rate": args.lost_response_rate,
            "maintenance": args.maintenance,
            "paths": args.fault_paths,
        }
    )
    return PortalConfig(
        host=args.host,
        port=args.port,
        provider_port=args.provider_port,
        db_path=args.db_path,
        seed=args.seed,
        reset=args.reset,
        dialect=args.dialect,
        test_token=args.test_token,
        session_ttl_s=args.session_ttl,
        faults=faults,
        fault_seed=args.fault_seed,
        access_log=args.access_log,
    )


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        config = config_from(args)
        from .app import create_app  # after argument errors, which should answer fast

        app = create_app(config)
    except (SettingsError, ValueError) as problem:
        print(f"fake-portal: {problem}", file=sys.stderr)
        return 2
    from .app import listen
    from .serve import make_server

    try:
        served = listen(app, config.host, config.port, config.provider_port)
    except OSError as problem:
        print(f"fake-portal: cannot listen on {config.host}: {problem}", file=sys.stderr)
        app.state.portal.close()
        return 1
    print(served.url, flush=True)
    print(served.provider_url, flush=True)
    try:
        make_server(served.app, config.access_log).run(sockets=served.sockets)
    finally:
        app.state.portal.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
