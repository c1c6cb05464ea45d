"""The sandbox: one directory holding everything a simulated environment writes.

Layout (``root`` is a fresh temporary directory)::

    root/home/                          HOME of the simulated user
    root/home/.orquestra/config.json    the config file, as `orq login` writes it (local)
    root/home/.orquestra/mlflow/artifacts/   the default artifacts dir (local)
    root/passport/token                 the passport file (Studio, CE)
    root/artifacts/                     ORQ_MLFLOW_ARTIFACTS_DIR (Studio, CE)
    root/work/                          the working directory of Studio and local tasks
    root/workers/<n>/                   the working directory of each simulated CE worker

The root comes from :func:`tempfile.mkdtemp`, so under pyfakefs it lives in the
fake filesystem. Nothing here imports pytest.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any


def config_document(configs: dict[str, dict[str, Any]], default: str = "local") -> dict[str, Any]:
    """A config file document in the ``orq login`` shape, with ``configs`` keyed by name."""
    return {"version": "0.0.2", "configs": configs, "default_config_name": default}


def remote_config_entry(name: str, uri: str, token: str) -> dict[str, Any]:
    """One remote (``CE_REMOTE``) config entry as ``orq login`` writes it."""
    return {
        "config_name": name,
        "runtime_name": "CE_REMOTE",
        "runtime_options": {"uri": uri, "token": token},
    }


class Sandbox:
    """The directories and files of one simulated environment, under :attr:`root`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.home = root / "home"
        self.orquestra_dir = self.home / ".orquestra"
        self.config_path = self.orquestra_dir / "config.json"
        self.default_artifacts_dir = self.orquestra_dir / "mlflow" / "artifacts"
        self.passport_path = root / "passport" / "token"
        self.remote_artifacts_dir = root / "artifacts"
        self.work_dir = root / "work"
        self.workers_dir = root / "workers"
        self._worker_numbers = itertools.count(1)

    @classmethod
    def create(cls, parent: str | os.PathLike[str] | None = None) -> Sandbox:
        """A new, empty sandbox in a fresh temporary directory (inside ``parent`` if given)."""
        root = Path(tempfile.mkdtemp(prefix="orq-sandbox-", dir=parent))
        sandbox = cls(root)
        for directory in (sandbox.home, sandbox.work_dir):
            directory.mkdir(parents=True, exist_ok=True)
        return sandbox

    def write_config(self, name: str, uri: str, token: str, path: Path | None = None) -> Path:
        """Write a config file holding one remote config, as ``orq login -s uri`` does."""
        path = self.config_path if path is None else path
        document = config_document({name: remote_config_entry(name, uri, token)})
        return self.write_json(path, document)

    def write_json(self, path: Path, document: Any) -> Path:
        """Write ``document`` as JSON to ``path`` (parents created)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=2), encoding="utf-8")
        return path

    def write_passport(self, token: str) -> Path:
        """Write the passport file, with a trailing newline as the platform's mounted file has."""
        self.passport_path.parent.mkdir(parents=True, exist_ok=True)
        self.passport_path.write_text(token + "\n", encoding="utf-8")
        return self.passport_path

    def new_worker_dir(self) -> Path:
        """A fresh, empty working directory for one simulated worker."""
        while True:
            path = self.workers_dir / str(next(self._worker_numbers))
            if not path.exists():
                path.mkdir(parents=True)
                return path

    def remove(self) -> None:
        """Delete the sandbox and everything in it."""
        shutil.rmtree(self.root, ignore_errors=True)

    def __repr__(self) -> str:
        return f"Sandbox({str(self.root)!r})"
