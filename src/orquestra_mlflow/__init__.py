"""Connect MLflow to the Orquestra workspace's tracking server.

The four utilities have the names, signatures and results of
``orquestra.sdk.mlflow``; switching is a change of import::

    import orquestra_mlflow as om

    os.environ["MLFLOW_TRACKING_URI"] = om.get_tracking_uri("my-ws", config_name="prod-d")
    os.environ["MLFLOW_TRACKING_TOKEN"] = om.get_tracking_token(config_name="prod-d")

Importing this package is cheap: requests, PyJWT and mlflow are imported only
by the functions that use them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .artifacts import get_temp_artifacts_dir
from .catalog import clear_namespace_cache
from .connection import get_tracking_token, get_tracking_uri
from .environment import Environment, detect_environment, is_remote
from .errors import (
    ArtifactsDirError,
    CatalogUnreachableError,
    ConfigError,
    ConfigFileError,
    ConfigFileNotFoundError,
    ConfigFileUnreadableError,
    ConfigNotFoundError,
    InvalidArgumentError,
    MalformedCatalogResponseError,
    MissingEnvironmentVariableError,
    NamespaceLookupError,
    OrquestraMlflowError,
    PassportError,
    PassportRefusedError,
    RunTagsWarning,
    TokenError,
    TokenExpiredWarning,
    TrackingConflictError,
    WorkspaceNotFoundError,
)
from .users import get_current_user

if TYPE_CHECKING:
    from .scoped_tracking import tracking

__version__ = "0.1.0"

__all__ = [
    "ArtifactsDirError",
    "CatalogUnreachableError",
    "ConfigError",
    "ConfigFileError",
    "ConfigFileNotFoundError",
    "ConfigFileUnreadableError",
    "ConfigNotFoundError",
    "Environment",
    "InvalidArgumentError",
    "MalformedCatalogResponseError",
    "MissingEnvironmentVariableError",
    "NamespaceLookupError",
    "OrquestraMlflowError",
    "PassportError",
    "PassportRefusedError",
    "RunTagsWarning",
    "TokenError",
    "TokenExpiredWarning",
    "TrackingConflictError",
    "WorkspaceNotFoundError",
    "__version__",
    "clear_namespace_cache",
    "detect_environment",
    "get_current_user",
    "get_temp_artifacts_dir",
    "get_tracking_token",
    "get_tracking_uri",
    "is_remote",
    "tracking",
]


def __getattr__(name: str) -> object:
    """Import :func:`tracking` on first use, so ``import orquestra_mlflow`` stays cheap."""
    if name == "tracking":
        from .scoped_tracking import tracking

        return tracking
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
