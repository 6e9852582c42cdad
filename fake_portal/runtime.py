"""Settings that tests change while the portal runs: dialect, label overrides, faults.
Shared by every request, so every access is lock-guarded."""

from __future__ import annotations

import random
import threading
from collections import Counter

from .config import FaultSettings, PortalConfig
from .labels import Labels, check_overrides, label_table


class Runtime:
    def __init__(self, config: PortalConfig) -> None:
        self._lock = threading.Lock()
        self._dialect = config.dialect
        self._overrides: dict[str, str] = {}
        self._faults = config.faults
        self._base_ttl_s = config.session_ttl_s
        self._rng = random.Random(config.fault_seed)
        self._injected: Counter[str] = Counter()  # faults served since the last set_faults

    @property
    def dialect(self) -> str:
        return self._dialect

    @property
    def faults(self) -> FaultSettings:
        return self._faults

    def labels(self) -> Labels:
        with self._lock:
            return Labels(self._dialect, self._overrides)

    def set_dialect(self, dialect: str) -> None:
        label_table(dialect)  # validates
        with self._lock:
            self._dialect = dialect

    def set_overrides(self, overrides: dict[str, object]) -> None:
        checked = check_overrides(overrides)
        with self._lock:
            self._overrides = checked

    def set_faults(self, faults: FaultSettings, seed: int | None = None) -> None:
        with self._lock:
            self._faults = faults
            self._injected = Counter()
            if seed is not None:
                self._rng = random.Random(seed)

    def count_fault(self, kind: str) -> None:
        with self._lock:
            self._injected[kind] += 1

    def injected(self) -> dict[str, int]:
        """How many of each fault were served since the faults were last set (what a test reports)."""
        with self._lock:
            return dict(self._injected)

    def session_ttl_s(self) -> float:
        ttl = self._faults.session_ttl_s
        return ttl if ttl is not None else self._base_ttl_s

    def draw(self) -> float:
        """Uniform in [0, 1); one shared generator so --fault-seed makes a run reproducible."""
        with self._lock:
            return self._rng.random()
