"""Reading the config file that ``orq login`` writes (local machine only).

The file is only ever read: never written, never locked, so ``orq login`` can
rewrite it at any time. Its location is resolved on every call
(``ORQ_CONFIG_PATH``, else ``~/.orquestra/config.json``), so a changed ``HOME``
or ``ORQ_CONFIG_PATH`` is honoured.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from . import variables
from .environment import is_remote
from .errors import (
    ConfigError,
    ConfigFileError,
    ConfigFileNotFoundError,
    ConfigFileUnreadableError,
    ConfigNotFoundError,
    InvalidArgumentError,
)

if TYPE_CHECKING:
    from pathlib import Path

#: Config names that are never read from the file.
LOCAL_RUNTIME_NAMES = ("local", "ray", "in_process")
AUTO = "auto"
RESERVED_NAMES = (*LOCAL_RUNTIME_NAMES, AUTO)

_LOGIN_HINT = (
    "Log in with `orq login -s <cluster URL>` (from orquestra-sdk) to create or update it."
)


class RuntimeConfig:
    """One config: its name, runtime and, for remote runtimes, cluster URI and token.

    The token is kept out of ``repr`` and ``str``.
    """

    __slots__ = ("name", "runtime_name", "token", "uri")

    def __init__(
        self, name: str, runtime_name: str, uri: str | None = None, token: str | None = None
    ) -> None:
        self.name = name
        self.runtime_name = runtime_name
        self.uri = uri
        self.token = token

    def __repr__(self) -> str:
        token = "None" if self.token is None else "'***'"
        return (
            f"RuntimeConfig(name={self.name!r}, runtime_name={self.runtime_name!r}, "
            f"uri={self.uri!r}, token={token})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RuntimeConfig):
            return NotImplemented
        return (self.name, self.runtime_name, self.uri, self.token) == (
            other.name,
            other.runtime_name,
            other.uri,
            other.token,
        )

    __hash__ = None  # type: ignore[assignment]

    def require_uri(self) -> str:
        """The cluster URI without a trailing ``/``; a :class:`ConfigError` naming the config if none."""
        if not self.uri:
            raise ConfigError(
                f"The config {self.name!r} (runtime {self.runtime_name}) has no cluster URI, so "
                "it cannot reach an MLflow tracking server. Pass the name of a remote config "
                f"(see `orq-mlflow doctor`). {_LOGIN_HINT}"
            )
        return self.uri.rstrip("/")

    def require_token(self) -> str:
        """The token; a :class:`ConfigError` naming the config if it has none."""
        if not self.token:
            raise ConfigError(
                f"The config {self.name!r} (runtime {self.runtime_name}) has no token. "
                f"{_LOGIN_HINT}"
            )
        return self.token


def config_file_location() -> str:
    """Where the config file is now, as a string (cheap: no ``pathlib``); see :func:`config_file_path`."""
    override = os.environ.get(variables.CONFIG_PATH)
    if override:
        return os.path.expanduser(override)
    return os.path.join(os.path.expanduser("~"), ".orquestra", "config.json")


def config_file_path() -> Path:
    """Where the config file is now: ``ORQ_CONFIG_PATH``, else ``~/.orquestra/config.json``."""
    from pathlib import Path

    return Path(config_file_location())


def read_config_file(path: Path | None = None) -> dict[str, Any]:
    """The parsed config file, checked for the ``orq login`` shape."""
    import json

    path = config_file_path() if path is None else path
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        where = (
            f" ({variables.CONFIG_PATH} points there)"
            if os.environ.get(variables.CONFIG_PATH)
            else ""
        )
        raise ConfigFileNotFoundError(
            f"No Orquestra config file at {path}{where}. {_LOGIN_HINT}"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigFileUnreadableError(
            f"Cannot read the Orquestra config file {path}: {reason}. Check its permissions, "
            f"or point {variables.CONFIG_PATH} at a readable file."
        ) from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigFileError(
            f"The Orquestra config file {path} is not valid JSON ({exc.msg} at line "
            f"{exc.lineno}, column {exc.colno}). {_LOGIN_HINT}"
            if isinstance(exc, json.JSONDecodeError)
            else f"The Orquestra config file {path} is not valid JSON. {_LOGIN_HINT}"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("configs"), dict):
        raise ConfigFileError(
            f'The Orquestra config file {path} has no "configs" object, so it was not '
            f"written by `orq login`. {_LOGIN_HINT}"
        )
    return data


def _config_from_entry(path: Path, name: str, entry: Any) -> RuntimeConfig:
    options = entry.get("runtime_options") if isinstance(entry, dict) else None
    if not isinstance(entry, dict) or not isinstance(options, dict):
        raise ConfigFileError(
            f'The config {name!r} in {path} has no "runtime_options" object. {_LOGIN_HINT}'
        )
    uri, token = options.get("uri"), options.get("token")
    for field, value in (("uri", uri), ("token", token)):
        if value is not None and not isinstance(value, str):
            raise ConfigFileError(
                f"The config {name!r} in {path} has a {field} that is not a string. {_LOGIN_HINT}"
            )
    runtime_name = entry.get("runtime_name")
    return RuntimeConfig(
        name=name,
        runtime_name=runtime_name if isinstance(runtime_name, str) else "UNKNOWN",
        uri=uri or None,
        token=token or None,
    )


def list_configs(path: Path | None = None) -> list[RuntimeConfig]:
    """Every config stored in the config file, in file order."""
    path = config_file_path() if path is None else path
    data = read_config_file(path)
    return [_config_from_entry(path, name, entry) for name, entry in data["configs"].items()]


def read_config(config_name: str) -> RuntimeConfig:
    """The config named ``config_name``, as the workflow SDK resolves it locally.

    ``local``, ``ray`` and ``in_process`` are built in (no cluster URI); ``auto``
    stands for the config named by ``ORQ_CURRENT_CONFIG``. Other names are read
    from the config file.
    """
    if not isinstance(config_name, str) or not config_name:
        raise InvalidArgumentError(f"config_name must be a non-empty string, not {config_name!r}.")
    if config_name in LOCAL_RUNTIME_NAMES:
        runtime = {"local": "RAY_LOCAL", "ray": "RAY_LOCAL", "in_process": "IN_PROCESS"}
        return RuntimeConfig(config_name, runtime[config_name])
    if config_name == AUTO:
        if is_remote():
            from .passport import read_passport_token

            cluster = variables.require(variables.CURRENT_CLUSTER)
            return RuntimeConfig(AUTO, "CE_REMOTE", f"https://{cluster}", read_passport_token())
        current = os.environ.get(variables.CURRENT_CONFIG)
        if not current:
            raise ConfigError(
                f"The config name 'auto' stands for the config named by "
                f"{variables.CURRENT_CONFIG} on a local machine, and {variables.CURRENT_CONFIG} "
                "is not set. Set it to one of your configs, or pass that config's name."
            )
        if current == AUTO:
            raise ConfigError(
                f"{variables.CURRENT_CONFIG} is 'auto', which would refer to itself. "
                "Set it to the name of a config written by `orq login`."
            )
        return read_config(current)
    path = config_file_path()
    data = read_config_file(path)
    configs = data["configs"]
    if config_name not in configs:
        known = sorted(configs) + list(RESERVED_NAMES)
        raise ConfigNotFoundError(
            f"No config named {config_name!r} in {path}. Known configs: "
            f"{', '.join(repr(n) for n in known)}. To add one, log in with "
            "`orq login -s <cluster URL>`."
        )
    return _config_from_entry(path, config_name, configs[config_name])
