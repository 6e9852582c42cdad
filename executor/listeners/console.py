"""The terminal: a live line for the running step, then a tick or a cross per finished step.

Quiet mode prints only what needs a person: failures, warnings, operator prompts, the summary.
"""

from __future__ import annotations

from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.spinner import Spinner
from rich.text import Text

from executor.events import (
    Event,
    JobFinished,
    JobStarted,
    OperatorPrompt,
    RunFinished,
    StepFinished,
    StepRetrying,
    StepStarted,
)

MARKS = {
    "passed": ("✓", "green"),
    "failed": ("✗", "bold red"),
    "warned": ("!", "yellow"),
    "skipped": ("○", "dim"),
}


def _seconds(ms: float) -> str:
    return f"{ms / 1000:.2f} s" if ms >= 1000 else f"{ms:.0f} ms"


class ConsoleListener:
    def __init__(
        self, console: Console | None = None, *, quiet: bool = False, live: bool | None = None
    ) -> None:
        self.console = console or Console(stderr=True, highlight=False)
        self.quiet = quiet
        self.use_live = self.console.is_terminal if live is None else live
        self._live: Live | None = None

    def on_event(self, event: Event) -> None:
        handler = getattr(self, f"_on_{type(event).__name__}", None)
        if handler is not None:
            handler(event)

    # --- live line ---

    def _show_running(self, text: str) -> None:
        if not self.use_live or self.quiet:
            return
        spinner = Spinner("dots", text=Text(text, style="cyan"))
        if self._live is None:
            self._live = Live(spinner, console=self.console, transient=True, refresh_per_second=12)
            self._live.start()
        else:
            self._live.update(spinner)

    def _stop_live(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    # --- events ---

    def _on_JobStarted(self, e: JobStarted) -> None:
        if not self.quiet:
            self.console.print(
                f"[bold]▶ {escape(e.runbook)}[/] [dim]({escape(e.job_id)}, {e.step_count} steps, {escape(e.base_url)})[/]"
            )

    def _on_StepStarted(self, e: StepStarted) -> None:
        self._show_running(f"{'  ' * e.depth}{e.step_id} {e.title}")

    def _on_StepRetrying(self, e: StepRetrying) -> None:
        if not self.quiet:
            self.console.print(f"    [dim]↻ step {escape(e.step_id)} attempt {e.attempt} failed, retrying[/]")

    def _on_OperatorPrompt(self, e: OperatorPrompt) -> None:
        self._stop_live()
        self.console.print(
            f"[bold yellow]⏸ operator needed[/] (step {escape(e.step_id)}, up to {_seconds(e.timeout_ms)}): "
            f"{escape(e.message)}"
        )

    def _on_StepFinished(self, e: StepFinished) -> None:
        if self.quiet and e.status in ("passed", "skipped"):
            return
        mark, style = MARKS[e.status]
        indent = "  " * (e.depth + 1)
        line = f"{indent}[{style}]{mark}[/] {escape(e.step_id)} {escape(e.title)} [dim]{_seconds(e.timings.total_ms)}[/]"
        fallbacks = [m for m in e.matches if m.fallback]
        if fallbacks:
            line += " " + " ".join(f"[yellow]({escape(m.entry)}: {m.label})[/]" for m in fallbacks)
        if e.reason and e.status in ("skipped", "warned"):
            line += f" [dim]— {escape(e.reason)}[/]"
        self.console.print(line)
        for d in e.dialogs:
            if not self.quiet or not d.declared:
                self.console.print(f"{indent}  [dim]{escape(d.type)} {escape(repr(d.message))} → {d.answer}[/]")
        if e.error and e.status in ("failed", "warned"):
            self.console.print(f"{indent}  [{style}]{escape(e.error)}[/]")

    def _on_JobFinished(self, e: JobFinished) -> None:
        self._stop_live()
        mark, style = MARKS[e.status]
        counts = ", ".join(f"{n} {status}" for status, n in sorted(e.counts.items()))
        self.console.print(
            f"[{style}]{mark} {escape(e.job_id)} {e.status}[/] [dim]({counts}; {_seconds(e.duration_ms)})[/]"
        )
        if e.error:
            self.console.print(f"  [{style}]{escape(e.error)}[/]")
        warning = e.performed_warning()
        if warning:
            self.console.print(f"  [bold red]⚠ {escape(warning)}[/]")
        for artifact in e.artifacts:
            self.console.print(f"  [dim]{artifact.label}: {escape(artifact.path)}[/]")

    def _on_RunFinished(self, e: RunFinished) -> None:
        self._stop_live()
        if len(e.jobs) == 0:
            return
        mark, style = MARKS[e.status]
        jobs = ", ".join(f"{n} {status}" for status, n in sorted(e.jobs.items()))
        self.console.print(f"[{style}]{mark} run {e.status}[/] [dim]({jobs}; {_seconds(e.duration_ms)})[/]")
