"""A fake of Orquestra's resource catalog: the service that tells a workspace's namespace.

``GET /api/workspaces/zri:v1::0:system:resource_group:{workspace_id}`` with an
accepted bearer token answers ``200 {"namespace": ...}`` for a known workspace
and ``404`` for any other; a missing or unknown token gets ``401``. A test can
make it misbehave (:meth:`FakeCatalog.refuse`, :meth:`FakeCatalog.fail`) to
exercise the failure paths of code that looks namespaces up. Every request is
recorded in :attr:`FakeCatalog.requests`.

Plain Python: it is an *app* (``FakeRequest -> FakeResponse``) that any
transport of :mod:`pytest_orq_mlflow.http` can serve.
"""

from __future__ import annotations

import threading
import time
from typing import Literal

from .http import FakeRequest, FakeResponse

WORKSPACE_PREFIX = "/api/workspaces/"
ZRI_PREFIX = "zri:v1::0:system:resource_group:"

#: How :meth:`FakeCatalog.fail` can make the catalog misbehave.
FailureMode = Literal["500", "503", "timeout", "garbage", "no-namespace"]
FAILURE_MODES: tuple[str, ...] = ("500", "503", "timeout", "garbage", "no-namespace")


def timeout_exception(url: str) -> Exception:
    """The exception ``requests`` raises when a read times out (``requests.ReadTimeout``)."""
    import requests

    return requests.ReadTimeout(f"Read timed out (simulated by the fake resource catalog): {url}")


class FakeCatalog:
    """The fake resource catalog app.

    Args:
        namespaces: workspace ID -> namespace for the workspaces the catalog knows.

    Attributes:
        namespaces: the known workspaces; edit it to add or remove one.
        accepted_tokens: bearer tokens the catalog accepts (every other one gets 401).
        requests: every request received, oldest first.
        real_timeouts: in ``timeout`` mode, really wait (for a real HTTP transport,
            whose client then times out): ``timeout_delay`` seconds, or by default a
            little longer than :data:`orquestra_mlflow.catalog.TIMEOUT`'s read timeout.
            When false (the in-process transport), the client gets
            ``requests.ReadTimeout`` at once.
        timeout_delay: seconds to wait in ``timeout`` mode with ``real_timeouts``.
    """

    def __init__(self, namespaces: dict[str, str] | None = None) -> None:
        self.namespaces: dict[str, str] = dict(namespaces or {})
        self.accepted_tokens: set[str] = set()
        self.requests: list[FakeRequest] = []
        self.real_timeouts = False
        self.timeout_delay: float | None = None
        self._refusal: int | None = None
        self._failure: str | None = None
        self._failures_left: int | None = None
        self._lock = threading.Lock()

    # -- test API ---------------------------------------------------------------------------

    def accept_token(self, token: str) -> None:
        """Accept ``token`` as a passport from now on."""
        self.accepted_tokens.add(token)

    def revoke_token(self, token: str) -> None:
        """Answer 401 to ``token`` from now on."""
        self.accepted_tokens.discard(token)

    def refuse(self, status: int = 403) -> None:
        """Answer every look-up with ``status`` (401 or 403 are what a refused passport gets)."""
        if not 400 <= status < 500:
            raise ValueError(f"refuse() takes a 4xx status, not {status}; use fail() for others.")
        self._refusal = status

    def fail(self, mode: FailureMode = "500", *, times: int | None = None) -> None:
        """Misbehave on the next ``times`` look-ups (all of them when ``None``).

        Modes: ``"500"``/``"503"`` answer that status; ``"timeout"`` never answers
        in time; ``"garbage"`` answers 200 with a body that is not JSON;
        ``"no-namespace"`` answers 200 with JSON that lacks ``namespace``.
        """
        if mode not in FAILURE_MODES:
            raise ValueError(
                f"Unknown failure mode {mode!r}; choose one of {', '.join(FAILURE_MODES)}."
            )
        self._failure = mode
        self._failures_left = times

    def heal(self) -> None:
        """Undo :meth:`refuse` and :meth:`fail`: answer normally again."""
        self._refusal = None
        self._failure = None
        self._failures_left = None

    def reset(self) -> None:
        """Forget recorded requests and accepted tokens, and answer normally."""
        with self._lock:
            self.requests.clear()
        self.accepted_tokens.clear()
        self.timeout_delay = None
        self.heal()

    def lookups(self, workspace_id: str | None = None) -> list[FakeRequest]:
        """The recorded look-ups, optionally only those of ``workspace_id``."""
        with self._lock:
            recorded = list(self.requests)
        if workspace_id is None:
            return recorded
        return [r for r in recorded if r.path == f"{WORKSPACE_PREFIX}{ZRI_PREFIX}{workspace_id}"]

    # -- the app ----------------------------------------------------------------------------

    def __call__(self, request: FakeRequest) -> FakeResponse:
        """Answer one request."""
        with self._lock:
            self.requests.append(request)
        if request.method != "GET" or not request.path.startswith(WORKSPACE_PREFIX):
            return FakeResponse.json(
                {
                    "error": f"The fake resource catalog does not implement {request.method} "
                    f"{request.path}; it answers GET {WORKSPACE_PREFIX}{ZRI_PREFIX}<workspace id>."
                },
                status=404,
            )
        failure = self._take_failure()
        if failure is not None:
            return self._misbehave(failure, request)
        token = request.bearer_token
        if token is None or token not in self.accepted_tokens:
            return FakeResponse.json({"error": "unauthorized"}, status=401)
        if self._refusal is not None:
            return FakeResponse.json({"error": "forbidden"}, status=self._refusal)
        zri = request.path[len(WORKSPACE_PREFIX) :]
        workspace_id = zri[len(ZRI_PREFIX) :] if zri.startswith(ZRI_PREFIX) else None
        if workspace_id is None or workspace_id not in self.namespaces:
            return FakeResponse.json({"error": f"no workspace {zri!r}"}, status=404)
        return FakeResponse.json(
            {"id": zri, "displayName": workspace_id, "namespace": self.namespaces[workspace_id]}
        )

    def _take_failure(self) -> str | None:
        with self._lock:
            if self._failure is None:
                return None
            failure = self._failure
            if self._failures_left is not None:
                self._failures_left -= 1
                if self._failures_left <= 0:
                    self._failure = None
                    self._failures_left = None
            return failure

    def _misbehave(self, failure: str, request: FakeRequest) -> FakeResponse:
        if failure in ("500", "503"):
            return FakeResponse.json({"error": "internal error"}, status=int(failure))
        if failure == "garbage":
            return FakeResponse(
                200, b"<html>502 Bad Gateway</html>", {"Content-Type": "application/json"}
            )
        if failure == "no-namespace":
            return FakeResponse.json({"id": request.path[len(WORKSPACE_PREFIX) :]})
        # timeout
        if not self.real_timeouts:
            # ``responses`` raises an exception given as the body: the client sees a timeout.
            return FakeResponse(504, timeout_exception(request.url))  # type: ignore[arg-type]
        time.sleep(self.timeout_delay if self.timeout_delay is not None else _client_read_timeout())
        return FakeResponse.json({"error": "gateway timeout"}, status=504)


def _client_read_timeout() -> float:
    """A little longer than the library's read timeout, read now (tests may shrink it)."""
    from orquestra_mlflow import catalog

    timeout = catalog.TIMEOUT
    read = timeout[1] if isinstance(timeout, tuple) else timeout
    return float(read) + 0.25
