"""The MLflow tracking URI and token for the current environment."""

from __future__ import annotations

import os
import re
import warnings

from . import variables
from .catalog import get_workspace_namespace
from .config import read_config
from .environment import is_remote
from .errors import InvalidArgumentError
from .passport import read_passport_token

_WORKSPACE_ID = re.compile(r"[A-Za-z0-9._-]+")


def validate_workspace_id(workspace_id: object) -> str:
    """``workspace_id`` if it is a usable workspace ID; an :class:`InvalidArgumentError` if not.

    A workspace ID is non-empty, holds only letters, digits, ``-``, ``_`` and
    ``.``, and is not ``.`` or ``..`` (it becomes part of URLs and paths).
    """
    if not isinstance(workspace_id, str):
        raise InvalidArgumentError(
            f"workspace_id must be a string, not {type(workspace_id).__name__}. Pass the "
            "workspace ID shown in Orquestra Portal (ORQ_CURRENT_WORKSPACE holds it remotely)."
        )
    if not _WORKSPACE_ID.fullmatch(workspace_id) or workspace_id in (".", ".."):
        raise InvalidArgumentError(
            f"workspace_id {workspace_id!r} is not a valid workspace ID: use the ID shown in "
            "Orquestra Portal (letters, digits, '-', '_' and '.' only; not empty, '.' or '..')."
        )
    return workspace_id


def warn_config_name_ignored(config_name: str | None, *, stacklevel: int = 3) -> None:
    """Warn that ``config_name`` is ignored remotely (Studio and CE), as the workflow SDK does."""
    if config_name is not None:
        warnings.warn(
            f"'config_name' ({config_name!r}) is used only when executing locally and is "
            "ignored in Orquestra Studio and Compute Engine, where the cluster-local URI and "
            "passport are used.",
            UserWarning,
            stacklevel=stacklevel,
        )


def require_local_config_name(config_name: str | None) -> str:
    """``config_name``, or the :class:`InvalidArgumentError` that a missing one is locally."""
    if not config_name:
        raise InvalidArgumentError(
            "'config_name' is required when executing locally: pass the name of a config "
            "created by `orq login` (for example config_name='prod-d'), or 'auto' to use the "
            "one named by ORQ_CURRENT_CONFIG."
        )
    return config_name


def get_tracking_uri(workspace_id: str, config_name: str | None = None) -> str:
    """The MLflow tracking URI of ``workspace_id``'s tracking server.

    Locally: ``{cluster URI of the config}/mlflow/{workspace_id}``, where the config
    is ``config_name`` (required) from the file written by ``orq login``.
    In Studio and CE: ``http://{ORQ_MLFLOW_CR_NAME}.{namespace}:{ORQ_MLFLOW_PORT}``,
    with the namespace asked from the resource catalog (cached); ``config_name`` is
    ignored with a :class:`UserWarning`.

    Raises:
        InvalidArgumentError: ``workspace_id`` is malformed, or ``config_name`` is missing locally.
        ConfigError: the config is unknown, corrupt, or has no cluster URI (a ``ValueError``).
        MissingEnvironmentVariableError: a platform variable is missing remotely (an ``OSError``).
        NamespaceLookupError: the resource catalog refused, failed or answered nonsense.
    """
    validate_workspace_id(workspace_id)
    if is_remote():
        warn_config_name_ignored(config_name)
        cr_name = variables.require(variables.MLFLOW_CR_NAME)
        port = variables.require(variables.MLFLOW_PORT)
        token = read_passport_token()
        cluster = os.environ.get(variables.CURRENT_CLUSTER, "")
        namespace = get_workspace_namespace(workspace_id, token, cluster)
        return f"http://{cr_name}.{namespace}:{port}"
    config = read_config(require_local_config_name(config_name))
    return f"{config.require_uri()}/mlflow/{workspace_id}"


def get_tracking_token(config_name: str | None = None) -> str:
    """The token the MLflow client must send to the tracking server.

    Locally: the token of the config ``config_name`` (required). In Studio and CE:
    the passport file's content (read on every call; passports rotate);
    ``config_name`` is ignored with a :class:`UserWarning`.
    """
    if is_remote():
        warn_config_name_ignored(config_name)
        return read_passport_token()
    return read_config(require_local_config_name(config_name)).require_token()
