"""The plugin's browser tests run pytest inside pytest (pytester, in a subprocess: the inner run
has its own Playwright, event loops and fake portal). The project builder is shared with the
browser-free collection tests in tests/unit/plugin."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "unit" / "plugin"))
