"""What the bulk report keeps of each engine event: small JSON shapes, from the event dicts of
`run.log.jsonl` (`executor.events.to_dict` plus structlog's `level` and `timestamp`). Pure.

The log holds every field of every event (a StepFinished carries its whole evaluated step model:
about 2 KB); the report needs a tenth of that. Keys are short because a 10,000-row run has about
250,000 steps; the shapes:

job head  {"job", "rb" runbook, "path" runbook file, "dir" job folder (relative to the report),
           "at" start (epoch s), "params"}
job end   {"s" status, "ms" duration, "err", "fs" failed step id, "perf" performed warning,
           "done", "nr" steps not run, "exp" session expired, "out" small outputs,
           "trace" [path]}
step      {"id", "t" title, "s" status, "a" action, "tg" target, "loc" file:line, "d" depth,
           "ch" use chain, "r" reason, "err", "y" yaml, "chk" [[status, expected, detail]],
           "m" [[target, candidate, label, fallback]] (failed/warned steps and fallbacks only),
           "img" [[path, label]], "ln" [[label, path]], "ms" total, "n" attempts, "x" destructive,
           "no" notes, "dl" dialogs, "v" vars}
retry     {"id" step id, "n" attempt that failed, "err"}

Paths are relative to the report's folder and URL-quoted; a step's image path is relative to its
job's folder ("dir") when it lies inside it. Values are already redacted (the log listener
redacts every event), and nothing here reads anything else.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePath, PurePosixPath
from typing import Any
from urllib.parse import quote

# Top folders of the run folder that hold job folders (rows/<row>-<key>/<job>/, ops/<job>/,
# logins/<job>/): how an artifact's path is found again when the run folder was moved.
_JOB_ROOTS = {"rows": 3, "ops": 2, "logins": 2}
_SMALL_OUTPUT = 200  # characters: a read job's outputs are whole tables, not worth a report line


class Paths:
    """Artifact paths as the log wrote them (absolute, or relative to where the run started) →
    paths relative to the report's folder, URL-quoted for `src`/`href`. String work only: a
    10,000-row run has about 150,000 paths, and asking the file system about each costs minutes."""

    def __init__(self, run_folder: Path) -> None:
        self.root = str(run_folder.resolve()) + os.sep

    def relative(self, path: str) -> str:
        if path.startswith(self.root):
            return _quoted(path[len(self.root) :].replace(os.sep, "/"))
        return _quoted(self._tail(PurePath(path)).as_posix())

    @staticmethod
    def _tail(path: PurePath) -> PurePath:
        """The part from rows/ ops/ logins/ on: the run folder was moved or the path is relative."""
        parts = path.parts
        for index in range(len(parts) - 1, -1, -1):
            depth = _JOB_ROOTS.get(parts[index])
            if depth is not None and len(parts) - index >= depth:
                return PurePath(*parts[index:])
        return PurePath(path.name)

    def row_of(self, artifacts_dir: str) -> int | None:
        """The row a job belongs to, from its folder `rows/<row>-<key>/<job>`; None for the others."""
        parts = PurePosixPath(self.relative(artifacts_dir)).parts
        if len(parts) >= 2 and parts[0] == "rows":
            number = parts[1].split("-", 1)[0]
            if number.isdigit():
                return int(number)
        return None


_PLAIN = re.compile(r"[A-Za-z0-9._~@/-]*")


def _quoted(path: str) -> str:
    # `@` is allowed in a URL path (the folders are named after e-mail addresses); most paths need
    # no quoting at all, and quote() is slow.
    return path if _PLAIN.fullmatch(path) else quote(path, safe="/@")


def _inside(path: str, folder: str) -> str:
    """`path` relative to `folder` (both report-relative, quoted): `../` when it lies outside."""
    if not folder:
        return path
    if path.startswith(folder + "/"):
        return path[len(folder) + 1 :]
    return posixpath.relpath(path, folder)


def _location(source: str) -> str:
    return source.rsplit(":", 1)[0] if source.count(":") >= 2 else source


def _put(out: dict[str, Any], key: str, value: Any) -> None:
    """Only what says something: the shapes leave out empty and default fields."""
    if value not in (None, "", (), [], {}, 0, False):
        out[key] = value


def job_head(e: Mapping[str, Any], paths: Paths) -> dict[str, Any]:
    head = {"job": e.get("job_id", ""), "rb": e.get("runbook", ""), "at": round(float(e.get("at") or 0), 3)}
    _put(head, "path", e.get("runbook_path"))
    _put(head, "dir", paths.relative(e["artifacts_dir"]) if e.get("artifacts_dir") else "")
    _put(head, "params", {str(k): _text(v) for k, v in (e.get("params") or {}).items()})
    return head


def job_end(e: Mapping[str, Any], paths: Paths) -> dict[str, Any]:
    end: dict[str, Any] = {"s": e.get("status", "failed"), "ms": round(float(e.get("duration_ms") or 0))}
    _put(end, "err", e.get("error"))
    _put(end, "fs", e.get("failed_step"))
    performed = e.get("performed") or ()
    if performed:
        end["perf"] = (
            f"{'; '.join(performed)}; the check after it failed: look at the portal before running again"
        )
    _put(end, "done", e.get("done"))
    _put(end, "nr", len(e.get("not_run") or ()))
    _put(end, "exp", bool(e.get("session_expired")))
    outputs = {str(k): _text(v) for k, v in (e.get("outputs") or {}).items()}
    _put(end, "out", {k: v for k, v in outputs.items() if len(v) <= _SMALL_OUTPUT})
    _put(end, "trace", [paths.relative(a["path"]) for a in e.get("artifacts") or () if a.get("path")])
    _put(end, "at", round(float(e.get("at") or 0), 3))
    return end


def step(e: Mapping[str, Any], paths: Paths, job_dir: str) -> dict[str, Any]:
    # Written out field by field (no helper per field): a 10,000-row run has 250,000 steps.
    g = e.get
    status = g("status", "")
    out: dict[str, Any] = {"id": g("step_id", ""), "t": g("title", ""), "s": status}
    for key, name in (("a", "action"), ("tg", "target"), ("r", "reason"), ("err", "error")):
        value = g(name)
        if value:
            out[key] = value
    source = g("source")
    if source:
        out["loc"] = _location(source)
    if g("depth"):
        out["d"] = int(g("depth"))
    bad = status in ("failed", "warned")
    if bad:
        if g("chain"):
            out["ch"] = list(g("chain"))
        if g("yaml"):
            out["y"] = g("yaml")
    if g("assertions"):
        out["chk"] = [_check(a) for a in g("assertions")]
    matches = [_match(m) for m in g("matches") or () if bad or m.get("fallback")]
    if matches:
        out["m"] = matches
    artifacts = g("artifacts")
    if artifacts:
        images = [a for a in artifacts if a.get("kind") in ("screenshot", "extra")]
        if images:
            out["img"] = [[_inside(paths.relative(a["path"]), job_dir), a.get("label") or ""] for a in images]
        links = [a for a in artifacts if a.get("kind") not in ("screenshot", "extra")]
        if links:
            out["ln"] = [[a.get("label") or a.get("kind", ""), paths.relative(a["path"])] for a in links]
    total = (g("timings") or {}).get("total_ms")
    if total:
        out["ms"] = round(float(total))
    if (g("attempts") or 1) > 1:
        out["n"] = int(g("attempts"))
    if g("destructive"):
        out["x"] = True
    if g("notes"):
        out["no"] = list(g("notes"))
    if g("dialogs"):
        out["dl"] = [_dialog(d) for d in g("dialogs")]
    if g("variables"):
        out["v"] = {str(k): _text(v) for k, v in g("variables").items()}
    if g("rounds") is not None:
        out["rounds"] = g("rounds")
    return out


def retry(e: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": e.get("step_id", ""), "n": int(e.get("attempt") or 1), "err": e.get("error") or ""}


def _check(a: Mapping[str, Any]) -> list[str]:
    detail = a.get("error") or ""
    if a.get("status") == "failed" and a.get("message"):
        detail = f"{detail} — {a['message']}" if detail else a["message"]
    return [a.get("status", ""), a.get("expected", ""), detail]


def _match(m: Mapping[str, Any]) -> list[Any]:
    index, count = int(m.get("candidate_index") or 0), int(m.get("candidate_count") or 1)
    label = f"fallback {index + 1} of {count}" if m.get("fallback") else "first candidate"
    return [m.get("target", ""), m.get("description", ""), label, bool(m.get("fallback"))]


def _dialog(d: Mapping[str, Any]) -> str:
    text = f"{d.get('type', '')} {d.get('message', '')!r} {d.get('answer', '')}"
    if d.get("prompt") is not None:
        text += f" with {d['prompt']!r}"
    return text + (f" ({d['note']})" if d.get("note") else "")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def best_shot(facts: Sequence[tuple[str | None, str | None]], job_dir: str) -> str:
    """The screenshot that tells most about a job, from its steps' (failed, screenshot) facts: the
    failed step's (the page at the failure), else the last one taken. Relative to the report; ""
    when the job took none."""
    failed = [shot for bad, shot in facts if bad and shot]
    taken = failed[:1] or [shot for _, shot in facts if shot][-1:]
    if not taken:
        return ""
    return posixpath.normpath(f"{job_dir}/{taken[0]}") if job_dir else taken[0]
