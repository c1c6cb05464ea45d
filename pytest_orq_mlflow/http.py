"""Plain-Python HTTP types shared by the fake workspace's apps and transports.

An *app* is any callable ``app(request: FakeRequest) -> FakeResponse``: the fake
MLflow tracking server and the fake resource catalog are apps. A
:class:`Mounts` table maps base URLs (``scheme://host[:port][/prefix]``) to apps;
the transports (in-process through ``responses``, or a loopback HTTP server that
also acts as an HTTP proxy for the fake cluster's host names) only translate
real HTTP into :class:`FakeRequest` and back, and ask the table which app
answers. Nothing here imports requests, responses or mlflow.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit


class Headers(dict[str, str]):
    """A ``dict`` of header names to values whose look-ups ignore case."""

    def __init__(self, items: Mapping[str, str] | None = None) -> None:
        super().__init__()
        for key, value in (items or {}).items():
            self[key] = value

    def __setitem__(self, key: str, value: str) -> None:
        super().__setitem__(key.lower(), value)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)


@dataclass
class FakeRequest:
    """One HTTP request as an app sees it.

    ``url`` is the full URL the client asked for; ``path`` is the part after
    the mount's base URL (always starting with ``/``); ``query`` holds the
    parsed query string (every key maps to the list of its values).
    """

    method: str
    url: str
    path: str
    headers: Headers
    body: bytes = b""
    query: dict[str, list[str]] = field(default_factory=dict)
    base_url: str = ""

    def json(self) -> Any:
        """The body decoded as JSON (``{}`` when empty); ``ValueError`` if it is not JSON."""
        if not self.body:
            return {}
        return json.loads(self.body)

    @property
    def bearer_token(self) -> str | None:
        """The token of an ``Authorization: Bearer ...`` header, or ``None``."""
        value = self.headers.get("authorization")
        if not value:
            return None
        scheme, _, token = value.partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None


@dataclass
class FakeResponse:
    """What an app answers: a status, headers and a body of bytes."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, payload: Any, status: int = 200) -> FakeResponse:
        """A JSON answer."""
        return cls(
            status=status,
            body=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
        )


App = Callable[[FakeRequest], FakeResponse]


def _split_base(base_url: str) -> tuple[str, str, str]:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) base URL: {base_url!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, f"{parts.hostname.lower()}:{port}", parts.path.rstrip("/")


class Mounts:
    """A thread-safe table of base URLs and the apps that answer under them.

    The longest matching prefix wins, so ``https://c.example/mlflow/ws`` and
    ``https://c.example`` can be mounted side by side.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._mounts: dict[tuple[str, str, str], tuple[str, App]] = {}

    def mount(self, base_url: str, app: App) -> None:
        """Serve ``app`` under ``base_url`` (replacing what was there)."""
        key = _split_base(base_url)
        with self._lock:
            self._mounts[key] = (base_url.rstrip("/"), app)

    def unmount(self, base_url: str) -> None:
        """Stop serving ``base_url``; unknown URLs are ignored."""
        with self._lock:
            self._mounts.pop(_split_base(base_url), None)

    def clear(self) -> None:
        """Remove every mount."""
        with self._lock:
            self._mounts.clear()

    def base_urls(self) -> list[str]:
        """Every mounted base URL, sorted."""
        with self._lock:
            return sorted(base for base, _ in self._mounts.values())

    def resolve(self, url: str) -> tuple[str, App, str] | None:
        """``(base_url, app, sub_path)`` for ``url``, or ``None`` when nothing is mounted there."""
        parts = urlsplit(url)
        if not parts.hostname:
            return None
        port = parts.port or (443 if parts.scheme == "https" else 80)
        host = f"{parts.hostname.lower()}:{port}"
        path = parts.path or "/"
        best: tuple[str, App, str] | None = None
        best_len = -1
        with self._lock:
            items = list(self._mounts.items())
        for (scheme, mhost, prefix), (base, app) in items:
            if scheme != parts.scheme or mhost != host:
                continue
            matches = path == prefix or path.startswith(prefix + "/") or not prefix
            if matches and len(prefix) > best_len:
                best_len = len(prefix)
                best = (base, app, path[len(prefix) :] or "/")
        return best

    def build_request(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[App, FakeRequest] | None:
        """Resolve ``url`` and build the :class:`FakeRequest` its app receives."""
        found = self.resolve(url)
        if found is None:
            return None
        base, app, sub_path = found
        query = parse_qs(urlsplit(url).query, keep_blank_values=True)
        request = FakeRequest(
            method=method.upper(),
            url=url,
            path=sub_path,
            headers=Headers(headers),
            body=body or b"",
            query=query,
            base_url=base,
        )
        return app, request
