"""The exceptions raised by :mod:`orquestra_mlflow`.

Every error derives from :class:`OrquestraMlflowError` and also from the builtin
that ``orquestra.sdk.mlflow`` raised in the same situation, so code written
against the workflow SDK (``except ValueError``, ``except OSError``) keeps
working. Messages name the cause and the fix, and never contain a token.
"""

from __future__ import annotations


class OrquestraMlflowError(Exception):
    """Base class of every error raised by ``orquestra_mlflow``."""


class InvalidArgumentError(OrquestraMlflowError, ValueError):
    """An argument is missing or malformed (for example a bad ``workspace_id``)."""


class ConfigError(OrquestraMlflowError, ValueError):
    """A config cannot be used: unknown name, no cluster URI, no token, or a corrupt file."""


class ConfigNotFoundError(ConfigError):
    """The named config is not in the config file."""


class ConfigFileError(ConfigError):
    """The config file exists but is not valid JSON or not in the ``orq login`` shape."""


class ConfigFileNotFoundError(OrquestraMlflowError, FileNotFoundError):
    """There is no config file (``orq login`` creates it)."""


class ConfigFileUnreadableError(OrquestraMlflowError, OSError):
    """The config file exists but cannot be read (permissions, a directory, ...)."""


class MissingEnvironmentVariableError(OrquestraMlflowError, OSError):
    """A variable that the platform sets is missing. ``variable`` names it."""

    def __init__(self, message: str, variable: str) -> None:
        super().__init__(message)
        self.variable = variable


class PassportError(OrquestraMlflowError, OSError):
    """The passport file (``ORQUESTRA_PASSPORT_FILE``) is missing, unreadable or empty."""


class TokenError(OrquestraMlflowError, ValueError):
    """A token is not a JWT, or lacks the claim that is needed."""


class NamespaceLookupError(OrquestraMlflowError, ConnectionError):
    """The resource catalog could not tell the workspace's namespace."""


class CatalogUnreachableError(NamespaceLookupError):
    """The resource catalog did not answer (connection error, timeout, or 5xx) after retries."""


class PassportRefusedError(NamespaceLookupError, PermissionError):
    """The resource catalog refused the passport token (401 or 403)."""


class WorkspaceNotFoundError(NamespaceLookupError, LookupError):
    """The resource catalog knows no workspace with this ID (404)."""


class MalformedCatalogResponseError(NamespaceLookupError, ValueError):
    """The resource catalog answered something that is not the expected JSON."""


class ArtifactsDirError(OrquestraMlflowError, OSError):
    """The artifacts directory exists but is not a writable directory, or cannot be created."""


class TrackingConflictError(OrquestraMlflowError, RuntimeError):
    """``tracking()`` was entered for another workspace while other threads are inside one.

    MLflow's connection settings are per process, so every thread of a process
    talks to the same tracking server at any one time.
    """


class TokenExpiredWarning(UserWarning):
    """The Orquestra token is a JWT whose ``exp`` has passed: the tracking server will refuse it."""


class RunTagsWarning(UserWarning):
    """A run's Orquestra tags could not all be found; the run goes on without them."""


__all__ = [
    "ArtifactsDirError",
    "CatalogUnreachableError",
    "ConfigError",
    "ConfigFileError",
    "ConfigFileNotFoundError",
    "ConfigFileUnreadableError",
    "ConfigNotFoundError",
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
]
