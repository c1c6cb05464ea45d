"""The directory for temporary artifact files."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from . import variables
from .errors import ArtifactsDirError

if TYPE_CHECKING:
    from pathlib import Path


def default_artifacts_dir() -> Path:
    """The directory used when ``ORQ_MLFLOW_ARTIFACTS_DIR`` is unset: ``~/.orquestra/mlflow/artifacts``."""
    from pathlib import Path

    return Path.home() / ".orquestra" / "mlflow" / "artifacts"


def get_temp_artifacts_dir() -> Path:
    """A directory for files to upload as MLflow artifacts, created if missing.

    ``ORQ_MLFLOW_ARTIFACTS_DIR`` when set (Studio and CE set it; you may set it
    locally), else ``~/.orquestra/mlflow/artifacts``; both resolved on every
    call. Safe when many threads or processes create it at once.

    Raises:
        ArtifactsDirError: the path exists but is not a writable directory, or
            cannot be created.
    """
    from pathlib import Path

    override = os.environ.get(variables.MLFLOW_ARTIFACTS_DIR)
    path = Path(override).expanduser() if override else default_artifacts_dir()
    source = (
        f"(from {variables.MLFLOW_ARTIFACTS_DIR})"
        if override
        else f"(the default; set {variables.MLFLOW_ARTIFACTS_DIR} to use another directory)"
    )
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise ArtifactsDirError(
            f"The artifacts directory {path} {source} exists but is not a directory. "
            f"Remove or rename it, or set {variables.MLFLOW_ARTIFACTS_DIR} to a directory."
        ) from None
    except OSError as exc:
        raise ArtifactsDirError(
            f"Cannot create the artifacts directory {path} {source}: "
            f"{exc.strerror or exc}. Set {variables.MLFLOW_ARTIFACTS_DIR} to a writable "
            "directory."
        ) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ArtifactsDirError(
            f"The artifacts directory {path} {source} is not writable. Fix its permissions, "
            f"or set {variables.MLFLOW_ARTIFACTS_DIR} to a writable directory."
        )
    return path
