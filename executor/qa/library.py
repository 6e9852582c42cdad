"""Catalogues and runbook loaders, one per folder, shared by collection and the run.

A selector catalogue is read once per session however many runbooks use it, and one
`RunbookLoader` per runbooks root reads `_shared/login.yaml` once for every example.
"""

from __future__ import annotations

from pathlib import Path

from executor.load.catalogue_loader import load_catalogue
from executor.load.runbook_loader import RunbookLoader, infer_runbooks_root
from executor.model.catalogue import Catalogue
from executor.model.runbook import Runbook

SELECTORS_DIR = "selectors"


class Library:
    def __init__(self, selectors: Path | None, rootpath: Path) -> None:
        self.selectors = selectors  # --runbook-selectors, else found beside the runbooks root
        self.rootpath = rootpath
        self._catalogues: dict[Path, Catalogue] = {}
        self._loaders: dict[Path, RunbookLoader] = {}

    def selectors_for(self, runbooks_root: Path) -> Path:
        if self.selectors is not None:
            return self.selectors
        for folder in (runbooks_root.parent / SELECTORS_DIR, self.rootpath / SELECTORS_DIR):
            if folder.is_dir():
                return folder
        return runbooks_root.parent / SELECTORS_DIR  # missing: the loader says so

    def catalogue(self, folder: Path) -> Catalogue:
        """Raises LoadError (every problem of the catalogue)."""
        if folder not in self._catalogues:
            self._catalogues[folder] = load_catalogue(folder)
        return self._catalogues[folder]

    def loader(self, runbooks_root: Path) -> RunbookLoader:
        if runbooks_root not in self._loaders:
            catalogue = self.catalogue(self.selectors_for(runbooks_root))
            self._loaders[runbooks_root] = RunbookLoader(catalogue, runbooks_root)
        return self._loaders[runbooks_root]

    def load(self, path: Path) -> tuple[Runbook, Path]:
        """The runbook and its root (whose `_shared/` it uses). Raises LoadError."""
        root = infer_runbooks_root(path)
        return self.loader(root).load(path), root
