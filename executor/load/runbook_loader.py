"""Runbook YAML -> `Runbook`, reporting every problem at once, before any browser starts.

A `RunbookLoader` keeps one cache per runbooks root, so a `_shared/login.yaml` used by twenty
runbooks is read and checked once (validation of all runbooks is timed).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from executor.load.diagnostics import Diagnostic, LoadError, dedupe, sort_diagnostics
from executor.load.fields import Checker
from executor.load.param_values import ParamValueError, coerce
from executor.load.steps import StepReader, raw_vars_set, vars_set_later
from executor.load.suggest import did_you_mean
from executor.load.template_check import TemplateScope
from executor.load.yaml_source import Mark, YamlDocument, YamlMap, read_yaml
from executor.model.catalogue import Catalogue
from executor.model.runbook import Example, ExtractArgs, Param, ParamType, Runbook, SetArgs, Step

TOP_KEYS = ("name", "description", "params", "steps", "outputs", "tests")
PARAM_KEYS = ("type", "description", "default", "required", "values", "secret", "env")
EXAMPLE_KEYS = ("name", "params", "seed", "outcome", "expect_state")
PARAM_TYPES = tuple(t.value for t in ParamType)
RUNBOOK_NAME = re.compile(r"^[a-z0-9_]+$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SHARED_DIR = "_shared"


def shared_path(root: Path, name: str) -> Path:
    """What `use: name` reads: `login` -> <root>/_shared/login.yaml; a name with a slash is relative
    to the root (`_bulk/buy_licenses`)."""
    return root / (f"{name}.yaml" if "/" in name else f"{SHARED_DIR}/{name}.yaml")


@dataclass
class Loaded:
    """A runbook as far as it could be read (its params and outputs are what callers check
    against even when some steps are broken), and the problems found in it or in what it uses."""

    runbook: Runbook | None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]


def secret_vars_set(step: Step, scope: TemplateScope) -> set[str]:
    """Vars that hold a secret after `step`: a secret `extract`, or `set` from a secret."""
    args = step.args
    if isinstance(args, ExtractArgs) and args.secret:
        return {args.into}
    if isinstance(args, SetArgs):
        return {name for name, value in args.values.items() if scope.is_secret(value)}
    return set()


def plain(value: Any) -> Any:
    """Marked YAML -> plain dicts and lists (for free-form data such as `expect_state`)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


class RunbookLoader:
    def __init__(
        self,
        catalogue: Catalogue,
        runbooks_root: str | Path,
        *,
        broken_entry: Callable[[str], bool] | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.root = Path(runbooks_root)
        # Entries that exist but failed to load (reported by the catalogue): not "unknown" here.
        self.broken_entry: Callable[[str], bool] = broken_entry or (lambda _name: False)
        self._cache: dict[str, Loaded] = {}

    def load(self, path: str | Path) -> Runbook:
        loaded = self.check(path)
        if loaded.errors or loaded.runbook is None:
            raise LoadError(sort_diagnostics(dedupe(loaded.errors)))
        return loaded.runbook

    def load_shared(self, name: str) -> Runbook:
        return self.load(self.shared_path(name))

    def check(self, path: str | Path) -> Loaded:
        return self._load(Path(path), ())

    def shared_path(self, name: str) -> Path:
        return shared_path(self.root, name)

    def shared_names(self) -> list[str]:
        folder = self.root / SHARED_DIR
        return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []

    def label(self, key: str) -> str:
        """A runbook's short name in messages: its path below the root, without `.yaml`."""
        rel = os.path.relpath(key, os.path.realpath(self.root))
        return rel.removesuffix(".yaml")

    def _load(self, path: Path, stack: tuple[str, ...]) -> Loaded:
        key = os.path.realpath(path)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        doc = read_yaml(path)
        loaded = (
            Loaded(None, list(doc.problems))
            if not doc.ok
            else _RunbookReader(self, doc, (*stack, key)).read()
        )
        self._cache[key] = loaded
        return loaded


class _RunbookReader:
    def __init__(self, loader: RunbookLoader, doc: YamlDocument, stack: tuple[str, ...]) -> None:
        self.loader = loader
        self.doc = doc
        self.stack = stack
        self.c = Checker(doc.source)
        self.c.diagnostics += doc.problems  # warnings from parsing (errors stop before this)
        self.included: list[Diagnostic] = []
        # Set when a `use` could not be resolved: its outputs are unknown, so `vars.*` is not flagged.
        self.vars_unknown = False

    def read(self) -> Loaded:
        c = self.c
        path = self.doc.source.path
        if self.doc.data is None:
            c.error(Mark(1, 1), "the runbook is empty", "a runbook needs at least `name:` and `steps:`")
            return Loaded(None, c.diagnostics)
        top = c.mapping(self.doc.data, Mark(1, 1), "a runbook")
        if top is None:
            return Loaded(None, c.diagnostics)
        c.keys(top, TOP_KEYS, "the runbook", required=("name", "steps"))
        name = self.name(top, path)
        params = self.params(top)
        scope = TemplateScope(params={p.name: p for p in params})
        steps = self.steps(top, scope)
        outputs = self.outputs(top, scope)
        tests = self.examples(top, params)
        runbook = Runbook(
            name=name,
            description=c.string(top, "description", "the runbook") or "",
            params=tuple(params),
            steps=tuple(steps),
            outputs=outputs,
            tests=tuple(tests),
            path=path,
            source=c.span(Mark(1, 1)),
        )
        return Loaded(runbook, [*c.diagnostics, *self.included])

    def name(self, top: YamlMap, path: str) -> str:
        stem = Path(path).stem
        if "name" not in top:
            return stem
        name = self.c.string(top, "name", "the runbook")
        if name is None:
            return stem
        if not RUNBOOK_NAME.match(name):
            self.c.error(
                top.value_mark("name"),
                f"runbook name '{name}' must be lowercase letters, digits and _",
                f"e.g. {re.sub(r'[^a-z0-9_]+', '_', name.lower())}",
            )
        elif name != stem:
            self.c.warning(
                top.value_mark("name"),
                f"runbook name '{name}' differs from its file name '{stem}'",
                "`use` and the CLI find runbooks by file name",
            )
        return name

    # --- params -------------------------------------------------------------------------------

    def params(self, top: YamlMap) -> list[Param]:
        if "params" not in top or top["params"] is None:
            return []
        m = self.c.mapping(top["params"], top.value_mark("params"), "'params'")
        if m is None:
            return []
        out = []
        for key, raw in m.items():
            name = self.c.identifier(key, m.key_mark(key), "param")
            if name is None:
                continue
            param = self.param(name, raw, m.value_mark(key))
            if param is not None:
                out.append(param)
        return out

    def param(self, name: str, raw: Any, mark: Mark) -> Param | None:
        c = self.c
        span = c.span(mark)
        what = f"param '{name}'"
        if isinstance(raw, str):  # the bare-type form: `user_email: email`
            if raw not in PARAM_TYPES:
                c.error(
                    mark,
                    f"unknown param type '{raw}'",
                    did_you_mean(raw, PARAM_TYPES) or f"types: {', '.join(PARAM_TYPES)}",
                )
                raw = "string"
            if raw == "enum":
                c.error(
                    mark, f"{what} is an enum without values", "write {type: enum, values: [Eco, Advanced]}"
                )
                raw = "string"
            return Param(name=name, type=ParamType(raw), source=span)
        m = c.mapping(raw, mark, what)
        if m is None:
            return None
        c.keys(m, PARAM_KEYS, what)
        ptype = ParamType(c.choice(m, "type", PARAM_TYPES, what) or "string")
        values = self.enum_values(m, ptype, what)
        if ptype is ParamType.ENUM and not values:
            ptype = ParamType.STRING  # reported by enum_values; a string accepts what callers give
        secret = c.boolean(m, "secret", what)
        env = c.string(m, "env", what)
        if env is not None and not ENV_NAME.match(env):
            c.error(m.value_mark("env"), f"'{env}' is not an environment variable name")
        has_default = "default" in m
        required = c.boolean(m, "required", what, default=not has_default)
        if has_default and required and "required" in m:
            c.error(
                m.key_mark("required"),
                f"{what} has a default, so it is not required",
                "remove `required: true` or the default",
            )
        if secret and has_default:
            c.error(
                m.key_mark("default"),
                f"secret {what} has a default",
                "a secret never goes in a runbook: use `env:` instead",
            )
        param = Param(
            name=name,
            type=ptype,
            required=required,
            values=values,
            secret=secret,
            env=env,
            description=c.string(m, "description", what) or "",
            source=span,
        )
        if has_default and m["default"] is not None:
            try:
                param = param.model_copy(update={"default": coerce(param, m["default"])})
            except ParamValueError as err:
                c.error(m.value_mark("default"), f"bad default: {err.message}", err.hint)
        # Kept even when a detail is wrong (the runbook fails anyway): dropping it would also flag
        # every use of the param as unknown.
        return param

    def enum_values(self, m: YamlMap, ptype: ParamType, what: str) -> tuple[str, ...]:
        if "values" not in m:
            if ptype is ParamType.ENUM:
                self.c.error(m.mark, f"{what} is an enum without values", "add values: [Eco, Advanced]")
            return ()
        if ptype is not ParamType.ENUM:
            self.c.error(
                m.key_mark("values"),
                f"'values' is only for enum params ({what} is {ptype.value})",
                "add type: enum",
            )
            return ()
        seq = self.c.sequence(m["values"], m.value_mark("values"), f"'values' of {what}")
        if seq is None:
            return ()
        values = [
            self.c.string_value(v, vm, "an enum value", allow_numbers=True) for v, vm in seq.marked_items()
        ]
        if not seq:
            self.c.error(seq.mark, f"{what} has an empty list of values")
        return tuple(v for v in values if v is not None)

    # --- steps, outputs, examples -------------------------------------------------------------

    def steps(self, top: YamlMap, scope: TemplateScope) -> list[Step]:
        if "steps" not in top:
            return []
        seq = self.c.sequence(top["steps"], top.value_mark("steps"), "'steps'")
        if seq is None:
            return []
        if not seq:
            self.c.error(seq.mark, "the runbook has no steps")
        scope.later = vars_set_later(seq)
        reader = StepReader(self.c, self.loader.catalogue, scope, self.resolve_use, self.loader.broken_entry)
        out = []
        for raw, mark in seq.marked_items():
            step = reader.step(raw, mark)
            if step is not None:
                out.append(step)
            scope.vars |= raw_vars_set(raw)
            if step is not None:
                scope.secret_vars |= secret_vars_set(step, scope)
        self.vars_unknown = reader.vars_unknown
        return out

    def resolve_use(self, name: str, mark: Mark) -> Runbook | None:
        loader = self.loader
        if name.endswith((".yaml", ".yml")):
            self.c.error(
                mark,
                f"use '{name}': name the runbook without its extension",
                f"write use: {name.rsplit('.', 1)[0]}",
            )
            return None
        path = loader.shared_path(name)
        if not path.is_file():
            hint = (
                did_you_mean(name, loader.shared_names())
                or f"looked for {os.path.relpath(path, loader.root)} in {loader.root.name}/"
            )
            self.c.error(mark, f"no runbook '{name}' to use", hint)
            return None
        key = os.path.realpath(path)
        if key in self.stack:
            cycle = [loader.label(k) for k in self.stack[self.stack.index(key) :]] + [loader.label(key)]
            self.c.error(
                mark,
                f"use cycle: {' -> '.join(cycle)}",
                "a runbook cannot use itself, directly or through others",
            )
            return None
        loaded = loader._load(path, self.stack)
        use_site = self.c.span(mark)
        self.included += [d.reached_through(use_site) for d in loaded.diagnostics]
        return loaded.runbook

    def outputs(self, top: YamlMap, scope: TemplateScope) -> dict[str, str]:
        if "outputs" not in top or top["outputs"] is None:
            return {}
        m = self.c.mapping(top["outputs"], top.value_mark("outputs"), "'outputs'")
        if m is None:
            return {}
        reader = StepReader(self.c, self.loader.catalogue, scope, self.resolve_use, self.loader.broken_entry)
        reader.vars_unknown = self.vars_unknown
        out: dict[str, str] = {}
        for key, raw in m.items():
            name = self.c.identifier(key, m.key_mark(key), "output")
            text = reader.text(raw, m.value_mark(key), f"output '{key}'")
            if name is not None and text is not None:
                out[name] = text
        return out

    def examples(self, top: YamlMap, params: Sequence[Param]) -> list[Example]:
        if "tests" not in top or top["tests"] is None:
            return []
        seq = self.c.sequence(top["tests"], top.value_mark("tests"), "'tests'")
        if seq is None:
            return []
        out: list[Example] = []
        seen: dict[str, Mark] = {}
        for raw, mark in seq.marked_items():
            example = self.example(raw, mark, params)
            if example is None:
                continue
            if example.name in seen:
                self.c.error(
                    mark, f"duplicate test name '{example.name}' (first at line {seen[example.name].line})"
                )
                continue
            seen[example.name] = mark
            out.append(example)
        return out

    def example(self, raw: Any, mark: Mark, params: Sequence[Param]) -> Example | None:
        c = self.c
        m = c.mapping(raw, mark, "a test")
        if m is None:
            return None
        errors_before = len(c.diagnostics)
        c.keys(m, EXAMPLE_KEYS, "a test", required=("name",))
        name = c.identifier(m["name"], m.value_mark("name"), "test name") if "name" in m else None
        what = f"test '{name}'" if name else "a test"
        given = (
            c.mapping(m["params"], m.value_mark("params"), f"'params' of {what}")
            if "params" in m
            else YamlMap(m.mark)
        )
        by_name = {p.name: p for p in params}
        for key, value in (given or {}).items():
            assert given is not None
            param = by_name.get(key)
            if param is None:
                c.error(
                    given.key_mark(key),
                    f"{what} gives unknown param '{key}'",
                    did_you_mean(str(key), by_name) or _declared(by_name),
                )
                continue
            try:
                coerce(param, value)
            except ParamValueError as err:
                c.error(given.value_mark(key), err.message, err.hint)
        if given is not None:
            for p in params:
                if p.required and p.env is None and p.name not in given:
                    c.error(
                        m.key_mark("params") if "params" in m else mark,
                        f"{what} is missing param '{p.name}'",
                        f"{p.name} is a required {p.type.value}",
                    )
        outcome = c.choice(m, "outcome", ("passed", "failed"), what) or "passed"
        seed = c.string(m, "seed", what) or "demo"
        state = (
            c.mapping(m["expect_state"], m.value_mark("expect_state"), f"'expect_state' of {what}")
            if "expect_state" in m
            else None
        )
        if name is None or any(d.is_error for d in c.diagnostics[errors_before:]):
            return None
        return Example(
            name=name,
            params=plain(given or {}),
            outcome=outcome,
            seed=seed,
            expect_state=plain(state or {}),
            source=c.span(mark),
        )


def _declared(params: Iterable[str]) -> str:
    names = list(params)
    return f"declared params: {', '.join(names)}" if names else "the runbook declares no params"


# --- entry points ---------------------------------------------------------------------------


def infer_runbooks_root(path: str | Path) -> Path:
    """The folder whose `_shared/` a runbook's `use` reads: the nearest ancestor that has one
    (a file inside `_shared/` belongs to the folder above), else the runbook's own folder."""
    parent = Path(path).parent
    if parent.name == SHARED_DIR:
        return parent.parent
    for folder in (parent, *parent.parents):
        if (folder / SHARED_DIR).is_dir():
            return folder
    return parent


def load_runbook(
    path: str | Path, catalogue: Catalogue, *, runbooks_root: str | Path | None = None
) -> Runbook:
    """Load one runbook (and check what it `use`s); raise LoadError listing every problem."""
    root = runbooks_root if runbooks_root is not None else infer_runbooks_root(path)
    return RunbookLoader(catalogue, root).load(path)


def collect_runbook_files(paths: Iterable[str | Path]) -> tuple[list[Path], list[Diagnostic]]:
    """Files and folders (searched recursively for *.yaml) -> runbook files; a missing path is a
    diagnostic."""
    files: list[Path] = []
    problems: list[Diagnostic] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files += sorted(p for p in path.rglob("*.y*ml") if p.suffix in (".yaml", ".yml"))
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Diagnostic(str(path), 0, 0, "no such file or folder"))
    unique = list(dict.fromkeys(files))
    return unique, problems


@dataclass
class Validation:
    files: list[Path]
    diagnostics: list[Diagnostic]  # deduplicated, in reading order
    failed: set[Path]  # runbooks that would not load (their own errors or those of what they use)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]


def validate_files(
    paths: Iterable[str | Path],
    catalogue: Catalogue,
    *,
    runbooks_root: str | Path | None = None,
    broken_entry: Callable[[str], bool] | None = None,
) -> Validation:
    """Validate runbook files and folders with one loader per runbooks root (shared runbooks are
    read once). `broken_entry`: see `CatalogueReport.is_broken`."""
    files, problems = collect_runbook_files(paths)
    loaders: dict[Path, RunbookLoader] = {}
    found: list[Diagnostic] = list(problems)
    failed: set[Path] = set()
    for file in files:
        root = Path(runbooks_root) if runbooks_root is not None else infer_runbooks_root(file)
        loader = loaders.get(root) or loaders.setdefault(
            root, RunbookLoader(catalogue, root, broken_entry=broken_entry)
        )
        loaded = loader.check(file)
        found += loaded.diagnostics
        if loaded.errors or loaded.runbook is None:
            failed.add(file)
    return Validation(files, sort_diagnostics(dedupe(found)), failed)


def validate_paths(
    paths: Iterable[str | Path], catalogue: Catalogue, *, runbooks_root: str | Path | None = None
) -> list[Diagnostic]:
    """Every problem in the given runbooks (files or folders), each reported once."""
    return validate_files(paths, catalogue, runbooks_root=runbooks_root).diagnostics


__all__ = [
    "Loaded",
    "RunbookLoader",
    "Validation",
    "collect_runbook_files",
    "infer_runbooks_root",
    "load_runbook",
    "validate_files",
    "validate_paths",
]
