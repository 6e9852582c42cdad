"""/_test/*: the JSON contract tests use to read and steer the portal. Mounted only when the portal
starts with a test token; every call must send it in X-Test-Token, otherwise the answer is 404."""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import auth, history, licensing, outbox, payments
from .billing import TIERS, as_number, monthly_bill_cents
from .config import FaultSettings, SettingsError
from .db import Tx, iso
from .directory import list_users
from .seeds import apply_seed, parse_seed
from .web import Portal, portal_of

Hook = Callable[[Request, Portal], Awaitable[Response]]


def snapshot(tx: Tx) -> dict[str, Any]:
    pool = licensing.pool(tx)
    return {
        "users": [
            {
                "email": u["email"],
                "role": u["role"],
                "license": u["tier"],
                "two_factor": bool(u["two_factor"]),
            }
            for u in list_users(tx)
        ],
        "pool": {
            tier: {"total": p.total, "assigned": p.assigned, "available": p.available}
            for tier, p in pool.items()
        },
        "ledger": [
            {
                "id": e["id"],
                "at": iso(float(str(e["at"]))),
                "kind": e["kind"],
                "tier": e["tier"],
                "quantity": e["quantity"],
                "amount": as_number(int(str(e["amount_cents"]))),
            }
            for e in history.ledger(tx)
        ],
        "monthly_bill": as_number(monthly_bill_cents({t: pool[t].total for t in TIERS})),
        "audit": [
            {
                "at": iso(float(str(a["at"]))),
                "actor": a["actor"],
                "action": a["action"],
                "target": a["target"],
                "detail": a["detail"],
            }
            for a in history.audit_log(tx)
        ],
    }


def reseed(portal: Portal, seed: str) -> None:
    parse_seed(seed)
    with portal.db.write() as tx:
        portal.db.wipe(tx)
        apply_seed(tx, seed)
        portal.db.set_meta(tx, "seed", seed)


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise SettingsError("the body must be a JSON object")
    return data


def _hook(handler: Hook) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        portal = portal_of(request)
        token = portal.config.test_token or ""
        given = request.headers.get("x-test-token", "")
        if not token or not hmac.compare_digest(token.encode(), given.encode()):
            return JSONResponse({"error": "not found"}, status_code=404)
        try:
            return await handler(request, portal)
        except (SettingsError, ValueError) as problem:
            return JSONResponse({"error": str(problem)}, status_code=400)

    return endpoint


async def get_state(request: Request, portal: Portal) -> Response:
    with portal.db.read() as tx:
        return JSONResponse(snapshot(tx))


async def get_outbox(request: Request, portal: Portal) -> Response:
    with portal.db.read() as tx:
        messages = outbox.messages(tx, request.query_params.get("to") or None)
    return JSONResponse(
        [
            {
                "to": m["recipient"],
                "kind": m["kind"],
                "subject": m["subject"],
                "body": m["body"],
                "link": m["link"],
                "code": m["code"],
                "at": iso(float(str(m["at"]))),
            }
            for m in messages
        ]
    )


async def get_payments(request: Request, portal: Portal) -> Response:
    """The payment provider's URL and the card payments the portal redeemed (last 4 digits only)."""
    with portal.db.read() as tx:
        recorded = payments.recorded(tx)
    return JSONResponse(
        {
            "provider_url": portal.provider_url,
            "payments": [
                {
                    "id": p["id"],
                    "order_id": p["order_id"],
                    "at": iso(float(str(p["at"]))),
                    "amount": as_number(int(str(p["amount_cents"]))),
                    "card_last4": p["card_last4"],
                }
                for p in recorded
            ],
        }
    )


async def post_reset(request: Request, portal: Portal) -> Response:
    seed = (await _body(request)).get("seed", "demo")
    if not isinstance(seed, str):
        raise SettingsError("seed must be a string")
    reseed(portal, seed)
    return JSONResponse({"ok": True, "seed": seed})


async def post_faults(request: Request, portal: Portal) -> Response:
    body = await _body(request)
    seed = body.pop("seed", None)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise SettingsError("seed must be an integer")
    faults = FaultSettings.from_mapping(body)
    portal.runtime.set_faults(faults, seed)
    return JSONResponse({"ok": True, "faults": faults.as_dict()})


async def get_faults(request: Request, portal: Portal) -> Response:
    runtime = portal.runtime
    return JSONResponse({"faults": runtime.faults.as_dict(), "injected": runtime.injected()})


async def post_dialect(request: Request, portal: Portal) -> Response:
    dialect = (await _body(request)).get("dialect")
    portal.runtime.set_dialect(str(dialect))
    return JSONResponse({"ok": True, "dialect": portal.runtime.dialect})


async def post_labels(request: Request, portal: Portal) -> Response:
    overrides = (await _body(request)).get("overrides", {})
    if not isinstance(overrides, dict):
        raise SettingsError("overrides must be an object {label_key: text}")
    portal.runtime.set_overrides(overrides)
    return JSONResponse({"ok": True, "overrides": overrides})


async def get_labels(request: Request, portal: Portal) -> Response:
    return JSONResponse({"dialect": portal.runtime.dialect, "labels": portal.runtime.labels().as_dict()})


async def post_expire_sessions(request: Request, portal: Portal) -> Response:
    with portal.db.write() as tx:
        count = auth.expire_all(tx)
    return JSONResponse({"ok": True, "expired": count})


ROUTES = [
    Route("/_test/state", _hook(get_state), methods=["GET"]),
    Route("/_test/outbox", _hook(get_outbox), methods=["GET"]),
    Route("/_test/payments", _hook(get_payments), methods=["GET"]),
    Route("/_test/reset", _hook(post_reset), methods=["POST"]),
    Route("/_test/faults", _hook(post_faults), methods=["POST"]),
    Route("/_test/faults", _hook(get_faults), methods=["GET"]),
    Route("/_test/dialect", _hook(post_dialect), methods=["POST"]),
    Route("/_test/labels", _hook(post_labels), methods=["POST"]),
    Route("/_test/labels", _hook(get_labels), methods=["GET"]),
    Route("/_test/expire_sessions", _hook(post_expire_sessions), methods=["POST"]),
]


async def _unknown(request: Request, portal: Portal) -> Response:
    return JSONResponse({"error": "not found"}, status_code=404)


# Last: any other /_test path or method answers 404 too, with or without the token.
ROUTES.append(
    Route(
        "/_test/{rest:path}",
        _hook(_unknown),
        methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
    )
)
