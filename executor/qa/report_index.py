"""Under pytest-xdist every worker writes its own HTML report; the controller writes one page linking them.

Why not one merged report: the events live in the workers' processes, and a report per worker is
complete and correct on its own; the index keeps "open report.html" true for the QA.
"""

from __future__ import annotations

import html
import os
import time
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote


def write_index(path: Path, reports: Iterable[Path], title: str = "Runbook examples") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    items = []
    for report in sorted(reports):
        href = quote(Path(os.path.relpath(report, path.parent)).as_posix())
        items.append(f'<li><a href="{href}">{html.escape(report.name)}</a></li>')
    page = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<title>{html.escape(title)}</title></head>\n<body style="font: 14px system-ui, sans-serif">\n'
        f"<h1>{html.escape(title)}</h1>\n<p>One report per pytest-xdist worker, "
        f"{time.strftime('%Y-%m-%d %H:%M:%S')}:</p>\n<ul>\n" + "\n".join(items) + "\n</ul>\n</body></html>\n"
    )
    path.write_text(page, encoding="utf-8")
    return path
