"""The live view of a bulk run (rich): rows done / failed / skipped, rate, ETA, and what each worker
is doing. A bus listener; without a terminal it prints one line per finished row instead."""

from __future__ import annotations

import time
from collections import Counter

from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from executor.bulk.row_events import BulkNote, BulkStarted, JobAssigned, PhaseStarted, RowFinished
from executor.events import Event, JobFinished, StepStarted

STYLE = {"changed": "green", "unchanged": "cyan", "failed": "bold red", "attention": "bold yellow", "skipped": "dim"}


class ProgressView:
    def __init__(self, console: Console | None = None, *, live: bool | None = None) -> None:
        self.console = console or Console(stderr=True, highlight=False)
        self.use_live = self.console.is_terminal if live is None else live
        self.total = 0
        self.done_before = 0
        self.counts: Counter[str] = Counter()
        self.phase = ""
        self.started = time.monotonic()
        self.workers: dict[str, str] = {}  # worker -> "job: step"
        self.job_worker: dict[str, str] = {}
        self._live: Live | None = None

    # --- events -------------------------------------------------------------------------------------

    def on_event(self, event: Event | object) -> None:
        if isinstance(event, BulkStarted):
            self.total, self.done_before = event.rows, event.done_before
            self.started = time.monotonic()
            if self.use_live and self._live is None:
                self._live = Live(self._render(), console=self.console, refresh_per_second=4, transient=False)
                self._live.start()
        elif isinstance(event, PhaseStarted):
            self.phase = f"{event.phase} {event.detail}".strip()
            self._print(f"[bold]▶ {escape(self.phase)}[/]")
        elif isinstance(event, JobAssigned):
            self.job_worker[event.job_id] = event.worker
            self.workers[event.worker] = event.label
        elif isinstance(event, StepStarted):
            worker = self.job_worker.get(event.job_id)
            if worker is not None:
                label = self.workers.get(worker, "").split(" · ")[0]
                self.workers[worker] = f"{label} · {event.title}"
        elif isinstance(event, JobFinished):
            worker = self.job_worker.pop(event.job_id, None)
            if worker is not None:
                self.workers[worker] = "idle"
        elif isinstance(event, RowFinished):
            self.counts[event.status] += 1
            if event.status in ("failed", "attention") or not self.use_live:
                style = STYLE.get(event.status, "")
                reason = f" — {escape(event.reason)}" if event.reason else ""
                self._print(f"  [{style}]{event.status}[/] row {event.row} {escape(event.key)}{reason}")
        elif isinstance(event, BulkNote):
            style = {"error": "bold red", "warning": "yellow"}.get(event.level, "dim")
            self._print(f"[{style}]{escape(event.message)}[/]")
        if self._live is not None:
            self._live.update(self._render())

    def stop(self) -> None:
        if self._live is not None:
            self._live.update(self._render())
            self._live.stop()
            self._live = None

    # --- rendering -----------------------------------------------------------------------------------

    def _print(self, text: str) -> None:
        if self._live is not None:
            self._live.console.print(text)
        else:
            self.console.print(text)

    def rate_per_min(self) -> float:
        elapsed = time.monotonic() - self.started
        finished = sum(self.counts.values())
        return finished / elapsed * 60 if elapsed > 0 else 0.0

    def eta_s(self) -> float | None:
        finished = sum(self.counts.values())
        left = self.total - finished
        rate = self.rate_per_min()
        return left / rate * 60 if rate > 0 and left > 0 else None

    def _render(self) -> Group:
        finished = sum(self.counts.values())
        head = Text.from_markup(
            f"[bold]{finished}/{self.total}[/] rows"
            + "".join(f"  [{STYLE.get(k, '')}]{n} {k}[/]" for k, n in sorted(self.counts.items()))
            + f"  {self.rate_per_min():.1f}/min"
            + (f"  ETA {self.eta_s():.0f} s" if self.eta_s() is not None else "")
            + (f"  [dim]{escape(self.phase)}[/]" if self.phase else "")
        )
        table = Table(show_header=False, box=None, padding=(0, 1))
        for worker in sorted(self.workers):
            table.add_row(Text(worker, style="bold"), Text(self.workers[worker][:100], style="cyan"))
        return Group(head, table)
