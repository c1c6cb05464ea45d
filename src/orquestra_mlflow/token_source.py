"""The current Orquestra token, read cheaply enough to be read for every request.

The token changes while a program runs: in Studio and CE the platform rotates
the passport file (``ORQUESTRA_PASSPORT_FILE``); on a local machine ``orq login``
rewrites the config file. :func:`current_token` therefore reads the token
again whenever its file changed, and otherwise answers from a cache keyed by
the file's ``stat`` signature (modification time in nanoseconds, size, inode
and change time), so the usual cost is one ``os.stat``.

A file modified less than :data:`RACY_WINDOW` seconds before it was read is
not trusted to the cache (the same rule as git's "racily clean" index
entries): a rewrite within the file system's timestamp granularity could
otherwise go unnoticed. Such a file is read again on every call until its
modification time is old enough.

Which token (remote: the passport; locally: a config of ``orq login``) is
decided by :func:`token_source`. Nothing here imports mlflow or requests.
"""

from __future__ import annotations

import os
import threading
import time
from typing import TYPE_CHECKING, Literal, NamedTuple

from . import variables
from .config import config_file_location
from .errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable

#: The variable naming the config whose token is sent locally (``tracking()`` sets it).
CONFIG_NAME_VARIABLE = "ORQ_MLFLOW_CONFIG_NAME"

#: Seconds after its modification during which a file's content is not cached.
RACY_WINDOW = 2.0

_RACY_WINDOW_NS = int(RACY_WINDOW * 1e9)


class TokenSource(NamedTuple):
    """Where the current token is read from.

    ``kind`` is ``"passport"`` (Studio and CE: the file named by
    ``ORQUESTRA_PASSPORT_FILE``) or ``"config"`` (locally: the token of the
    config ``config_name`` in the file written by ``orq login``).
    """

    kind: Literal["passport", "config"]
    config_name: str | None = None

    @property
    def description(self) -> str:
        """A phrase naming the source, for messages (never the token)."""
        if self.kind == "passport":
            path = os.environ.get(variables.PASSPORT_FILE, "")
            return f"the passport file {path} ({variables.PASSPORT_FILE})"
        return f"the config {self.config_name!r}"

    def login_hint(self) -> str:
        """What the user does to get a valid token from this source again."""
        if self.kind == "passport":
            return (
                "The platform rotates the passport file automatically and the next request "
                "reads the new one; if this persists, restart the Studio session or submit "
                "the workflow again."
            )
        uri = _config_uri(self.config_name)
        target = f"-s {uri}" if uri else f"-c {self.config_name}"
        return (
            f"Log in again with `orq login {target}`; the next request reads the new token "
            "from the config file, without restarting your program."
        )


def _config_uri(config_name: str | None) -> str | None:
    from .config import read_config

    if not config_name:
        return None
    try:
        return read_config(config_name).uri
    except Exception:  # the hint is best effort; the caller reports the real problem
        return None


def token_source(config_name: str | None = None) -> TokenSource:
    """Where :func:`current_token` reads the token in this environment.

    Remotely (``ORQ_CURRENT_CLUSTER`` set) the passport, whatever ``config_name``
    says. Locally the config named by ``config_name``, else by
    ``ORQ_MLFLOW_CONFIG_NAME``, else ``auto`` (the config named by
    ``ORQ_CURRENT_CONFIG``) when that variable is set.

    Raises:
        ConfigError: locally, no config is named anywhere.
    """
    if variables.CURRENT_CLUSTER in os.environ:
        return TokenSource("passport")
    name = config_name or os.environ.get(CONFIG_NAME_VARIABLE)
    if not name:
        if not os.environ.get(variables.CURRENT_CONFIG):
            raise ConfigError(
                "No Orquestra config is named, so no token can be sent to the tracking "
                f"server. Use orquestra_mlflow.tracking(workspace_id, config_name=...), or set "
                f"{CONFIG_NAME_VARIABLE} (or {variables.CURRENT_CONFIG}) to the name of a "
                "config created by `orq login`."
            )
        name = "auto"
    return TokenSource("config", name)


class _Entry(NamedTuple):
    signature: tuple[int, int, int, int]
    token: str
    trusted: bool


_cache: dict[tuple[str, ...], _Entry] = {}
_lock = threading.Lock()


def clear_token_cache() -> None:
    """Forget every cached token, so the next :func:`current_token` reads its file."""
    with _lock:
        _cache.clear()


def current_token(config_name: str | None = None, *, cached: bool = True) -> str:
    """The token to send now, from the source :func:`token_source` picks.

    With ``cached`` (the default) the file is read again only when its ``stat``
    signature changed (see the module docstring); ``cached=False`` always reads.

    Raises:
        PassportError: remotely, the passport file is missing, unreadable or empty.
        ConfigError: locally, no config is named, or it is unknown or has no token.
    """
    return read_token(token_source(config_name), cached=cached)


def read_token(source: TokenSource, *, cached: bool = True) -> str:
    """The token of ``source`` now (see :func:`current_token`)."""
    if source.kind == "passport":
        from .passport import read_passport_token

        path = variables.require(variables.PASSPORT_FILE)
        key: tuple[str, ...] = ("passport", path)
        reader: Callable[[], str] = read_passport_token
    else:
        from .config import read_config

        name = source.config_name or "auto"
        path = config_file_location()
        key = ("config", path, name, os.environ.get(variables.CURRENT_CONFIG, ""))

        def reader() -> str:
            return read_config(name).require_token()

    if not cached:
        return reader()
    return _read_cached(key, path, reader)


def _read_cached(key: tuple[str, ...], path: str, reader: Callable[[], str]) -> str:
    try:
        st = os.stat(path)
    except OSError:
        return reader()  # the reader raises the library's error that explains the problem
    signature = (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)
    entry = _cache.get(key)  # a dict read is atomic; the lock only orders the writes
    if entry is not None and entry.trusted and entry.signature == signature:
        return entry.token
    read_at = time.time_ns()
    token = reader()
    trusted = read_at - st.st_mtime_ns > _RACY_WINDOW_NS
    with _lock:
        _cache[key] = _Entry(signature, token, trusted)
    return token


def expiry_problem(token: str, source: TokenSource, *, now: float | None = None) -> str | None:
    """A sentence saying that ``token`` expired and how to fix it, or ``None`` if it has not.

    Tokens that are not JWTs, or have no ``exp`` claim, never count as expired.
    """
    from .tokens import expiry, human_duration

    exp = expiry(token)
    current = time.time() if now is None else now
    if exp is None or exp > current:
        return None
    return (
        f"The Orquestra token from {source.description} expired at {_format_time(exp)} "
        f"({human_duration(current - exp)} ago), so the tracking server will refuse it. "
        f"{source.login_hint()}"
    )


def _format_time(epoch: float) -> str:
    import datetime

    moment = datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
