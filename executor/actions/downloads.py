"""`download`: click, wait for the file the portal sends, keep it as evidence."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from executor.actions.base import ActionError, StepContext, action, resolve_only
from executor.events import Artifact
from executor.model.runbook import DownloadArgs


def safe_name(suggested: str) -> str:
    """The server's file name, minus anything that could leave the folder or confuse a shell."""
    name = Path(suggested.replace("\\", "/")).name
    name = re.sub(r"[^\w.\- ]+", "_", name).strip(" .")
    return name or "download"


def _free(path: Path) -> Path:
    n = 1
    found = path
    while found.exists():
        n += 1
        found = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return found


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@action("download", changes_state=False, dry_run=resolve_only)
async def download(ctx: StepContext, args: DownloadArgs) -> None:
    """The file lands in the job's folder (`downloads/<name the server gave>`); its name, size
    and sha256 go into the step's evidence; `vars.<into>` is its path."""
    locator = await ctx.locate(args.target)
    async with ctx.page.expect_download(timeout=ctx.timeout_ms()) as info:
        await locator.click(timeout=ctx.timeout_ms())
    started = await info.value
    failure = await started.failure()
    if failure is not None:
        raise ActionError(f"the download of {started.suggested_filename!r} failed: {failure}")
    target = _free(ctx.job_folder() / "downloads" / safe_name(started.suggested_filename))
    target.parent.mkdir(parents=True, exist_ok=True)
    await started.save_as(target)
    size = target.stat().st_size
    sha = _sha256(target)
    ctx.add_artifact(
        Artifact("download", str(target), f"{target.name} ({size} bytes, sha256 {sha[:12]}…)", size=size, sha256=sha)
    )
    ctx.set_var(args.into, str(target))
