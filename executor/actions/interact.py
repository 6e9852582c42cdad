"""Actions on one element: click, check, uncheck, hover, fill, select, upload, press.

Each relies on Playwright's auto-waiting (visible, enabled, stable, receiving events) within what
is left of the step's budget after the target was resolved.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from playwright.async_api import FilePayload, Locator

from executor.actions.base import ActionError, StepContext, action, resolve_only
from executor.model.catalogue import normalize_label
from executor.model.runbook import FillArgs, PressArgs, SelectArgs, TargetArgs, UploadArgs


@action("click", changes_state=True, dry_run=resolve_only)
async def click(ctx: StepContext, args: TargetArgs) -> None:
    locator = await ctx.locate(args.target)
    await locator.click(timeout=ctx.timeout_ms())


@action("check", changes_state=True, dry_run=resolve_only)
async def check(ctx: StepContext, args: TargetArgs) -> None:
    locator = await ctx.locate(args.target)
    await locator.check(timeout=ctx.timeout_ms())


@action("uncheck", changes_state=True, dry_run=resolve_only)
async def uncheck(ctx: StepContext, args: TargetArgs) -> None:
    locator = await ctx.locate(args.target)
    await locator.uncheck(timeout=ctx.timeout_ms())


@action("hover", changes_state=False)
async def hover(ctx: StepContext, args: TargetArgs) -> None:
    locator = await ctx.locate(args.target)
    await locator.hover(timeout=ctx.timeout_ms())


@action("fill", changes_state=True, dry_run=resolve_only)
async def fill(ctx: StepContext, args: FillArgs) -> None:
    """A secret value: the field is protected (masked, shown as dots) *before* typing, so no frame
    of the trace's screencast ever shows it; the trace itself is scrubbed when saved."""
    locator = await ctx.locate(args.target)
    if args.secret or ctx.is_secret(args.value):
        ctx.add_secret(args.value)
        await ctx.protect(locator)
    await locator.fill(args.value, timeout=ctx.timeout_ms())


# The options' texts, as a person reads them (Playwright's `label` is the option's label or text).
_OPTION_LABELS = "s => Array.from(s.options).map(o => (o.label || o.textContent || '').replace(/\\s+/g, ' ').trim())"


async def _option_label(ctx: StepContext, locator: Locator, args: SelectArgs) -> str:
    """The label to pick: the runbook's option, or, on a <select> whose options are labels of a
    value set (`options: tier` in the catalogue), the label the page shows for that value."""
    entry = ctx.catalogue.entries[args.target.entry]
    value_set = ctx.catalogue.values.get(entry.options) if entry.options else None
    wanted = value_set.labels_of(args.option) if value_set is not None else ()
    if not wanted:
        return args.option
    shown = await locator.evaluate(_OPTION_LABELS, timeout=ctx.timeout_ms())
    for label in shown:
        if any(normalize_label(label) == normalize_label(w) for w in wanted):
            return str(label)
    raise ActionError(
        f"{args.target.describe()} offers no option for {args.option} (its labels: {', '.join(wanted)}); "
        f"the options: {', '.join(repr(o) for o in shown)}"
    )


@action("select", changes_state=True, dry_run=resolve_only)
async def select(ctx: StepContext, args: SelectArgs) -> None:
    locator = await ctx.locate(args.target)
    label = await _option_label(ctx, locator, args)
    await locator.select_option(label=label, timeout=ctx.timeout_ms())


def upload_payload(args: UploadArgs, runbook_file: str) -> list[str] | list[FilePayload]:
    """What `set_input_files` gets: the files' paths (a relative one is relative to the runbook
    file), or the inline file as `{name, mimeType, buffer}`. Raises ActionError for a missing file."""
    if args.content is not None:
        name = args.filename or "upload.txt"
        mime = args.mime_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        return [FilePayload(name=name, mimeType=mime, buffer=args.content.encode("utf-8"))]
    base = Path(runbook_file).parent
    paths = [Path(f) if Path(f).is_absolute() else base / f for f in args.files]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise ActionError(f"no file to upload at {', '.join(missing)}")
    return [str(p) for p in paths]


async def _upload_dry_run(ctx: StepContext, args: UploadArgs) -> None:
    await ctx.locate(args.target)
    upload_payload(args, ctx.step.source.file)


@action("upload", changes_state=True, dry_run=_upload_dry_run)
async def upload(ctx: StepContext, args: UploadArgs) -> None:
    """Choose the files of a file input (the form is submitted by a later step, e.g. a click)."""
    files = upload_payload(args, ctx.step.source.file)
    locator = await ctx.locate(args.target)
    await locator.set_input_files(files, timeout=ctx.timeout_ms())


async def _press_dry_run(ctx: StepContext, args: PressArgs) -> None:
    if args.target is not None:
        await ctx.locate(args.target)


@action("press", changes_state=True, dry_run=_press_dry_run)
async def press(ctx: StepContext, args: PressArgs) -> None:
    if args.target is None:
        await ctx.page.keyboard.press(args.key)
        return
    locator = await ctx.locate(args.target)
    await locator.press(args.key, timeout=ctx.timeout_ms())
