"""Start-up settings of the fake portal and the fault settings that tests can change at run time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

ENGLISH_DIALECTS = ("2026", "2024")
FRENCH_DIALECT = "fr-ca"
ALL_DIALECTS = (*ENGLISH_DIALECTS, FRENCH_DIALECT)
# The dialects the runbook examples run in by default (executor/qa imports this name): every one.
DIALECTS = ALL_DIALECTS
DEFAULT_SESSION_TTL_S = 1800.0

# Faults never touch these: tests must always be able to read state, mail and assets.
FAULT_EXEMPT_PREFIXES = ("/_test", "/outbox", "/static")


class SettingsError(ValueError):
    """A setting given on the command line or to a test hook is invalid."""


@dataclass(frozen=True)
class FaultSettings:
    """Injected misbehaviour. Error and lost-response rates apply to POSTs only; latency and
    maintenance apply to every method. `paths` limits all of them to path prefixes (None: all)."""

    latency_ms: int = 0
    jitter_ms: int = 0
    error_rate: float = 0.0
    lost_response_rate: float = 0.0
    session_ttl_s: float | None = None
    maintenance: bool = False
    paths: tuple[str, ...] | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> FaultSettings:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise SettingsError(f"unknown fault setting(s): {', '.join(unknown)}")
        values = {k: v for k, v in data.items() if v is not None}
        settings = cls(
            latency_ms=_non_negative_int(values.get("latency_ms", 0), "latency_ms"),
            jitter_ms=_non_negative_int(values.get("jitter_ms", 0), "jitter_ms"),
            error_rate=_rate(values.get("error_rate", 0.0), "error_rate"),
            lost_response_rate=_rate(values.get("lost_response_rate", 0.0), "lost_response_rate"),
            session_ttl_s=_ttl(values.get("session_ttl_s")),
            maintenance=_flag(values.get("maintenance", False), "maintenance"),
            paths=_paths(values.get("paths")),
        )
        return settings

    def applies_to(self, path: str) -> bool:
        if path.startswith(FAULT_EXEMPT_PREFIXES):
            return False
        return self.paths is None or any(path.startswith(p) for p in self.paths)

    def as_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["paths"] = list(self.paths) if self.paths is not None else None
        return data


@dataclass(frozen=True)
class PortalConfig:
    host: str = "127.0.0.1"
    port: int = 0
    provider_port: int = 0  # the stand-in payment provider's own port (another origin); 0 picks a free one
    db_path: str | None = None  # None: a temporary database removed when the portal stops
    seed: str = "demo"
    reset: bool = False  # re-seed even if the database already holds data
    dialect: str = "2026"
    test_token: str | None = None  # None: the /_test/* hooks answer 404
    session_ttl_s: float = DEFAULT_SESSION_TTL_S
    faults: FaultSettings = field(default_factory=FaultSettings)
    fault_seed: int | None = None
    access_log: bool = False

    def __post_init__(self) -> None:
        check_dialect(self.dialect)
        if self.session_ttl_s <= 0:
            raise SettingsError("session TTL must be positive")
        if self.test_token is not None and not self.test_token:
            raise SettingsError("the test-hooks token must not be empty")


def check_dialect(dialect: str) -> str:
    if dialect not in ALL_DIALECTS:
        raise SettingsError(f"dialect must be one of {', '.join(ALL_DIALECTS)}, not {dialect!r}")
    return dialect


def _non_negative_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise SettingsError(f"{name} must be a number >= 0")
    return int(value)


def _rate(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise SettingsError(f"{name} must be a number from 0 to 1")
    return float(value)


def _ttl(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise SettingsError("session_ttl_s must be a number > 0")
    return float(value)


def _flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise SettingsError(f"{name} must be true or false")
    return value


def _paths(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [p for p in value.split(",") if p.strip()]
    if not isinstance(value, (list, tuple)) or not all(
        isinstance(p, str) and p.startswith("/") for p in value
    ):
        raise SettingsError("paths must be a list of path prefixes starting with '/'")
    return tuple(p.strip() for p in value) or None
