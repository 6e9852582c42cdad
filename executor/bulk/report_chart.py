"""The bulk report's chart: rows finished over time, one line per worker, failures and retried rows
marked on their worker's line, and under it the pace (rows per minute, failures in red), so a run
that slows down shows as lines that flatten and bars that shrink. Inline SVG, from the journal's
rows (finished, worker, status, attempts) and its events (sessions); no script, no library.

The time axis is the run's working time: the idle time between a session's end and the next
`runbook resume` is cut out (drawn as a break), or a resume a day later would squeeze the whole
run into one pixel column. A stall inside a session is not cut: that is what the chart is for.
"""

from __future__ import annotations

import bisect
import sqlite3
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from html import escape
from pathlib import Path

from markupsafe import Markup

WIDTH, TOP_H, PACE_H = 960, 260, 70
LEFT, RIGHT, PAD = 48, 70, 22
GAP_PX = 18  # the width of a cut-out idle stretch
MIN_GAP_S = 60.0  # shorter pauses between sessions are drawn as they were
PACE_BARS = 60
MARK_PX = 6  # a worker's failures (and retries) within this many pixels share one mark ...
MAX_MARKS = 40  # ... and at most this many marks of each kind per worker
PALETTE = ("#0969da", "#8250df", "#1a7f37", "#bc4c00", "#1b7c83", "#bf3989", "#6e7781", "#953800")
BAD = ("failed", "attention")


@dataclass(frozen=True)
class Finish:
    at: float
    worker: str
    status: str
    attempts: int


@dataclass(frozen=True)
class Timeline:
    """Where to draw a time: working time, with the gaps between sessions cut out."""

    start: float
    end: float
    gaps: tuple[tuple[float, float], ...] = ()  # (from, to): idle between sessions

    @property
    def span(self) -> float:
        return max(self.end - self.start - sum(b - a for a, b in self.gaps), 1e-6)

    def x(self, t: float) -> float:
        """Pixels from the plot's left edge."""
        plot = WIDTH - LEFT - RIGHT - GAP_PX * len(self.gaps)
        cut, before = 0.0, 0
        for a, b in self.gaps:
            if t >= b:
                cut += b - a
                before += 1
            elif t > a:
                t = a  # inside a gap: at its start
                break
        return (t - self.start - cut) / self.span * plot + before * GAP_PX


def read_finishes(
    journal: Path, tries: Mapping[int, int] | None = None
) -> tuple[list[Finish], Timeline | None, list[tuple[float, str]]]:
    """(rows that finished, by time; the timeline; the session boundaries as (at, label)).
    `tries`: jobs run per row, when more than one (from the events: the journal counts a row's
    sessions, not the jobs a strategy retried within one)."""
    tries = tries or {}
    with closing(sqlite3.connect(f"file:{journal}?mode=ro", uri=True)) as conn:
        finishes = [
            Finish(at, worker or "?", status, max(attempts or 0, tries.get(row, 0)))
            for row, at, worker, status, attempts in conn.execute(
                "SELECT row, finished, worker, status, attempts FROM rows WHERE finished IS NOT NULL"
                " ORDER BY finished"
            )
        ]
        events = conn.execute(
            "SELECT at, kind, detail FROM events WHERE kind IN ('resume', 'session-end') ORDER BY at"
        ).fetchall()
    if not finishes:
        return finishes, None, []
    times = [f.at for f in finishes]
    gaps, marks = [], []
    for at, kind, detail in events:
        if kind != "resume":
            continue
        # Idle from the last thing before the resume (a finished row, a session's end) to the resume.
        before = [t for t in times[: bisect.bisect_left(times, at)][-1:]]
        ends = [t for t, k, _ in events if k == "session-end" and t <= at]
        idle_from = max(before + ends[-1:], default=at)
        if at - idle_from >= MIN_GAP_S and idle_from >= times[0]:
            gaps.append((idle_from, at))
        marks.append((at, detail or "resume"))
    return finishes, Timeline(times[0] - _lead(times), times[-1], tuple(gaps)), marks


def _lead(times: Sequence[float]) -> float:
    """A little room before the first row, so its mark is not on the axis."""
    return max((times[-1] - times[0]) * 0.01, 1.0)


class Scale:
    """Rows → pixels from the top of the SVG, for the upper plot."""

    def __init__(self, top: int) -> None:
        self.top = _nice(top)

    def __call__(self, n: float) -> float:
        return PAD + TOP_H - n / self.top * TOP_H


def render_chart(
    finishes: Sequence[Finish], timeline: Timeline | None, marks: Iterable[tuple[float, str]] = ()
) -> Markup:
    """The SVG and its legend (HTML, escaped, ready to inline); a sentence when no row finished."""
    if timeline is None or not finishes:
        return Markup('<p class="muted">No row has finished yet: nothing to chart.</p>')
    plot_w = WIDTH - LEFT - RIGHT
    by_worker: dict[str, list[Finish]] = defaultdict(list)
    for f in finishes:
        by_worker[f.worker].append(f)
    workers = sorted(by_worker, key=_natural)
    y = Scale(max(len(v) for v in by_worker.values()))
    out = [
        (
            f'<svg class="chart" viewBox="0 0 {WIDTH} {PAD * 3 + TOP_H + PACE_H + 26}" role="img" '
            'aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg">'
        ),
        '<title id="chart-title">Rows finished over time, per worker; failures marked</title>',
        f'<g transform="translate({LEFT},0)">',
    ]
    out += _grid(y, plot_w)
    out += _breaks(timeline)
    ends: list[tuple[float, float, str, str]] = []  # (x, y, worker, color) of each line's end
    legend, lines, marked = [], [], []
    for index, worker in enumerate(workers):
        color = PALETTE[index % len(PALETTE)]
        rows = by_worker[worker]
        lines += _series(worker, rows, timeline, y, color, dashed=index >= len(PALETTE))
        marked += _marks(worker, rows, timeline, y)
        ends.append((timeline.x(rows[-1].at), y(len(rows)), worker, color))
        legend.append(_legend_item(worker, rows, color))
    out += marked + lines  # the marks under the lines: many failures must not hide the pace
    out += _end_labels(ends)
    out += _session_marks(marks, timeline)
    out += _pace(finishes, timeline, PAD * 2 + TOP_H, plot_w)
    out += _time_axis(timeline, PAD * 3 + TOP_H + PACE_H, plot_w)
    out.append("</g></svg>")
    legend.append(f"<li>{escape(f'{len(finishes):,} rows finished in {_duration(timeline.span)} of working time')}"
                  + (f"{escape(f' ({len(timeline.gaps)} pause(s) between sessions cut out)')}" if timeline.gaps else "")
                  + "</li>")  # fmt: skip
    out.append('<ul class="chart-legend">' + "".join(legend) + "</ul>")
    return Markup("\n".join(out))  # every text above goes through escape()


def _series(worker: str, rows: Sequence[Finish], tl: Timeline, y: Scale, color: str, *, dashed: bool) -> list[str]:
    """One worker's cumulative line: one point per pixel column at most."""
    points: dict[int, tuple[float, int]] = {}
    for n, f in enumerate(rows, start=1):
        x = tl.x(f.at)
        points[int(x)] = (x, n)
    path = [f"{tl.x(tl.start):.1f},{y(0):.1f}"] + [f"{x:.1f},{y(n):.1f}" for x, n in points.values()]
    dash = ' stroke-dasharray="6 3"' if dashed else ""
    return [
        f'<g class="series" data-worker="{escape(worker)}" data-rows="{len(rows)}">',
        f"<title>{escape(_summary(worker, rows))}</title>",
        f'<polyline fill="none" stroke="{color}" stroke-width="2"{dash} points="{" ".join(path)}"/></g>',
    ]


def _marks(worker: str, rows: Sequence[Finish], tl: Timeline, y: Scale) -> list[str]:
    """A worker's failed rows (✕) and rows that passed after a retry (○) on its line. Rows close
    together share a mark (its count in the tooltip), at most MAX_MARKS of each kind per worker:
    thousands of marks would only paint the plot red."""
    width = max(MARK_PX, (WIDTH - LEFT - RIGHT) / MAX_MARKS)
    fails: dict[int, list[int]] = defaultdict(list)
    retried: dict[int, list[int]] = defaultdict(list)
    for n, f in enumerate(rows, start=1):
        if f.status in BAD:
            fails[int(tl.x(f.at) // width)].append(n)
        elif f.attempts > 1:
            retried[int(tl.x(f.at) // width)].append(n)
    name = escape(worker)
    out = [f'<g class="marks" data-worker="{name}">']
    for ns in retried.values():
        x, cy = tl.x(rows[ns[-1] - 1].at), y(ns[-1])
        out.append(
            f'<circle class="retry" data-count="{len(ns)}" cx="{x:.1f}" cy="{cy:.1f}" r="3" fill="none" '
            f'stroke="#9a6700" stroke-width="1.5"><title>{name}: {len(ns)} row(s) passed after a retry</title></circle>'
        )
    for ns in fails.values():
        x, cy = tl.x(rows[ns[-1] - 1].at), y(ns[-1])
        out.append(
            f'<g class="fail" data-count="{len(ns)}"><title>{name}: {len(ns)} row(s) failed here</title>'
            f'<path d="M{x - 3.5:.1f},{cy - 3.5:.1f}l7,7m0,-7l-7,7" stroke="#cf222e" stroke-width="2"/></g>'
        )
    out.append("</g>")
    return out


def _summary(worker: str, rows: Sequence[Finish]) -> str:
    bad = sum(1 for f in rows if f.status in BAD)
    retried = sum(1 for f in rows if f.attempts > 1 and f.status not in BAD)
    minutes = (rows[-1].at - rows[0].at) / 60
    rate = f", {len(rows) / minutes:.1f} rows/min" if minutes > 0 else ""
    return (f"{worker}: {len(rows):,} rows{rate}" + (f", {bad:,} failed" if bad else "")
            + (f", {retried:,} retried" if retried else ""))  # fmt: skip


def _legend_item(worker: str, rows: Sequence[Finish], color: str) -> str:
    return f'<li><span class="swatch" style="background:{color}"></span>{escape(_summary(worker, rows))}</li>'


def _end_labels(ends: list[tuple[float, float, str, str]]) -> list[str]:
    """Each line's name at its end, pushed apart when lines end close together."""
    placed: list[float] = []
    out = []
    for x, y, worker, color in sorted(ends, key=lambda e: e[1]):
        y = max(y, placed[-1] + 13) if placed else y
        placed.append(y)
        out.append(f'<text class="end" x="{x + 6:.1f}" y="{y + 4:.1f}" fill="{color}">{escape(worker)}</text>')
    return out


def _pace(finishes: Sequence[Finish], tl: Timeline, top: float, plot_w: float) -> list[str]:
    """Rows per minute in PACE_BARS slices of working time, all workers; failures stacked in red."""
    # Enough rows per bar that a bar's height means something (a few rows each), at most PACE_BARS.
    bars = max(6, min(PACE_BARS, len(finishes) // 4))
    width = tl.span / bars
    ok: Counter[int] = Counter()
    bad: Counter[int] = Counter()
    for f in finishes:
        slot = min(int(_working(tl, f.at) / width), bars - 1)
        (bad if f.status in BAD else ok)[slot] += 1
    per_min = 60 / width
    peak = max((ok[s] + bad[s]) * per_min for s in range(bars)) or 1
    scale = _nice(peak)
    out = [
        '<g class="pace"><title>Rows per minute (all workers); failures in red</title>',
        f'<line x1="0" x2="{plot_w}" y1="{top + PACE_H}" y2="{top + PACE_H}" stroke="#d0d7de"/>',
        f'<text class="axis" x="-6" y="{top + 8}" text-anchor="end">{_num(scale)}</text>',
        f'<text class="axis" x="-6" y="{top + PACE_H}" text-anchor="end">0</text>',
        f'<text class="axis" x="{plot_w + 6}" y="{top + PACE_H / 2}">rows/min</text>',
    ]
    for s in range(bars):
        if not (ok[s] or bad[s]):
            continue
        t0 = _at_working(tl, s * width)
        x0 = tl.x(t0)
        # The bar's own width: one straddling a session break would otherwise span the break.
        w = max((plot_w - GAP_PX * len(tl.gaps)) / bars - 1, 1)
        h_ok, h_bad = ok[s] * per_min / scale * PACE_H, bad[s] * per_min / scale * PACE_H
        tip = escape(f"{time.strftime('%H:%M', time.localtime(t0))}: {(ok[s] + bad[s]) * per_min:.1f} rows/min"
                     + (f", {bad[s]} failed" if bad[s] else ""))  # fmt: skip
        out.append(f"<g><title>{tip}</title>")
        out.append(f'<rect x="{x0:.1f}" y="{top + PACE_H - h_ok:.1f}" width="{w:.1f}" height="{h_ok:.1f}" fill="#8c959f"/>')
        if bad[s]:
            out.append(
                f'<rect class="fail" x="{x0:.1f}" y="{top + PACE_H - h_ok - h_bad:.1f}" width="{w:.1f}" '
                f'height="{h_bad:.1f}" fill="#cf222e"/>'
            )
        out.append("</g>")
    out.append("</g>")
    return out


def _working(tl: Timeline, t: float) -> float:
    """Seconds of working time from the start to `t`."""
    cut = sum(min(b, max(t, a)) - a for a, b in tl.gaps if t > a)
    return t - tl.start - cut


def _at_working(tl: Timeline, w: float) -> float:
    """The wall-clock time `w` seconds of working time after the start."""
    t = tl.start + w
    for a, b in tl.gaps:
        if t > a:
            t += b - a
    return t


def _grid(y: Scale, plot_w: float) -> list[str]:
    out = []
    for n in (0, y.top // 2, y.top):
        yy = y(n)
        out.append(f'<line x1="0" x2="{plot_w}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="#eaeef2"/>')
        out.append(f'<text class="axis" x="-6" y="{yy + 4:.1f}" text-anchor="end">{_num(n)}</text>')
    out.append(f'<text class="axis" x="-6" y="{PAD - 8}" text-anchor="end">rows</text>')
    return out


def _breaks(tl: Timeline) -> list[str]:
    out = []
    for a, b in tl.gaps:
        x = tl.x(a)
        label = escape(f"not running for {_duration(b - a)} (until resume)")
        out.append(
            f'<g class="gap"><title>{label}</title><rect x="{x:.1f}" y="{PAD}" width="{GAP_PX}" '
            f'height="{TOP_H + PACE_H + PAD}" fill="#f6f8fa"/>'
            f'<text class="axis" x="{x + GAP_PX / 2:.1f}" y="{PAD + 12}" text-anchor="middle">⋯</text></g>'
        )
    return out


def _session_marks(marks: Iterable[tuple[float, str]], tl: Timeline) -> list[str]:
    out = []
    for at, label in list(marks)[:50]:
        x = tl.x(at)
        out.append(
            f'<g class="session"><title>{escape(label)} at {time.strftime("%H:%M:%S", time.localtime(at))}</title>'
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{PAD}" y2="{PAD + TOP_H}" stroke="#57606a" stroke-dasharray="2 3"/>'
            f'<text class="axis" x="{x + 3:.1f}" y="{PAD + 10}">{escape(label)}</text></g>'
        )
    return out


def _time_axis(tl: Timeline, y: float, plot_w: float) -> list[str]:
    """Clock times under the plot: the start, the end, and a few between (not inside gaps)."""
    ticks = 6
    wall = tl.end - tl.start
    fmt = "%H:%M:%S" if wall < 900 else ("%H:%M" if wall < 86400 else "%d %b %H:%M")
    out, shown = [], ""
    for i in range(ticks + 1):
        t = _at_working(tl, tl.span * i / ticks)
        label = time.strftime(fmt, time.localtime(t))
        if label == shown:
            continue
        shown, x = label, tl.x(t)
        anchor = "start" if i == 0 else ("end" if i == ticks else "middle")
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y - 22}" y2="{y - 18}" stroke="#8c959f"/>')
        out.append(f'<text class="axis" x="{x:.1f}" y="{y - 6}" text-anchor="{anchor}">{escape(label)}</text>')
    return out


def _nice(n: float) -> int:
    """A round axis maximum at or above n, close enough that the lines fill the plot: 1, 1.2, 1.5,
    2, 2.5, 3, 4, 5, 6, 8 × 10^k (whole numbers: these are rows)."""
    step = 1
    while True:
        for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8):
            top = step * m
            if top >= n and top == int(top):
                return int(top)
        step *= 10


def _num(n: float) -> str:
    return f"{n:,.0f}"


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def _natural(name: str) -> tuple[int, str]:
    """w2 before w10."""
    digits = "".join(c for c in name if c.isdigit())
    return (int(digits) if digits else 0, name)
