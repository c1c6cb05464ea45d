"""The fake tracking server facade: auth, recording, routing, and the test-facing API."""

from __future__ import annotations

import functools
import threading
import time

from pytest_orq_mlflow.fakeserver import routes
from pytest_orq_mlflow.fakeserver.backend import TrackingBackend
from pytest_orq_mlflow.fakeserver.views import RecordedExperiment, RecordedRequest, RecordedRun
from pytest_orq_mlflow.http import FakeRequest, FakeResponse

_LOGIN_HINT = "Log in again with `orq login -s <cluster>` and use the token it stores."


class FakeTrackingServer:
    """An in-memory MLflow tracking server that behaves like an Orquestra workspace's one.

    It is an *app* (``server(request) -> response``), so it can be mounted at any
    number of base URLs in a :class:`~pytest_orq_mlflow.http.Mounts` table and
    served by either transport. Like the platform, it wants ``Authorization:
    Bearer <token>`` with a token it accepts (see :meth:`accept_token`) unless
    ``require_auth`` is false.

    :meth:`reset` forgets runs, experiments, artifacts and recorded requests,
    but keeps the accepted tokens and ``require_auth`` (mounts live outside
    the server and are not touched).
    """

    def __init__(self, *, require_auth: bool = True) -> None:
        self.require_auth = require_auth
        self.backend = TrackingBackend()
        self._tokens: set[str] = set()
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._unhandled: list[RecordedRequest] = []

    def __repr__(self) -> str:
        return (
            f"FakeTrackingServer(require_auth={self.require_auth}, "
            f"accepted_tokens={len(self._tokens)}, runs={len(self.backend.runs)}, "
            f"requests={len(self._requests)})"
        )

    # --- auth ------------------------------------------------------------------------

    def accept_token(self, token: str) -> None:
        """Accept ``token`` as a valid bearer token from now on."""
        with self._lock:
            self._tokens.add(token)

    def revoke_token(self, token: str) -> None:
        """Stop accepting ``token`` (unknown tokens are ignored)."""
        with self._lock:
            self._tokens.discard(token)

    @property
    def accepted_tokens(self) -> frozenset[str]:
        """The tokens currently accepted."""
        with self._lock:
            return frozenset(self._tokens)

    def _auth_error(self, request: FakeRequest) -> str | None:
        token = request.bearer_token
        if token is None:
            return (
                "Unauthorized: the request has no `Authorization: Bearer <token>` header "
                "(is MLFLOW_TRACKING_TOKEN set?). " + _LOGIN_HINT
            )
        if _jwt_expired(token):
            return "Unauthorized: the token has expired. " + _LOGIN_HINT
        if token not in self._tokens:
            return "Unauthorized: the token is not accepted by this workspace. " + _LOGIN_HINT
        return None

    # --- the app ---------------------------------------------------------------------

    def __call__(self, request: FakeRequest) -> FakeResponse:
        """Answer one request (auth, then the route table) and record it."""
        problem = self._auth_error(request) if self.require_auth else None
        handled = True
        if problem is not None:
            response = routes.json_response(
                {"error_code": "UNAUTHENTICATED", "message": problem}, 401
            )
        else:
            found = routes.dispatch(self.backend, request)
            if found is None:
                handled = False
                response = routes.not_implemented(request.method, request.path)
            else:
                response = found
        token = request.bearer_token
        record = RecordedRequest(
            method=request.method,
            url=request.url,
            headers=dict(request.headers),
            body=request.body,
            status=response.status,
            path=request.path,
            authenticated=token is not None and token in self._tokens,
        )
        with self._lock:
            self._requests.append(record)
            if not handled:
                self._unhandled.append(record)
        return response

    # --- recordings ------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received, in order."""
        with self._lock:
            return list(self._requests)

    @property
    def unhandled(self) -> list[RecordedRequest]:
        """The requests no route answered (they got ``404 ENDPOINT_NOT_FOUND``)."""
        with self._lock:
            return list(self._unhandled)

    def reset(self) -> None:
        """Forget all data and recordings; keep accepted tokens and ``require_auth``."""
        self.backend.reset()
        with self._lock:
            self._requests.clear()
            self._unhandled.clear()

    # --- stored data -----------------------------------------------------------------

    @property
    def experiments(self) -> list[RecordedExperiment]:
        """Every experiment (``Default`` first), in creation order, deleted ones included."""
        exps, _, _ = self.backend.snapshot()
        return [RecordedExperiment.from_record(e) for e in exps]

    @property
    def runs(self) -> list[RecordedRun]:
        """Every run, in creation order, deleted ones included."""
        exps, runs, artifacts = self.backend.snapshot()
        names = {e.experiment_id: e.name for e in exps}
        return [RecordedRun.from_record(r, names.get(r.experiment_id, ""), artifacts) for r in runs]

    def run(self, run_id: str) -> RecordedRun:
        """The run with that id; ``KeyError`` listing the known runs if there is none."""
        for run in self.runs:
            if run.run_id == run_id:
                return run
        raise KeyError(f"no run {run_id!r}; {_describe(self.runs)}")

    def runs_in(self, experiment_name: str) -> list[RecordedRun]:
        """The runs of the experiment with that name, in creation order."""
        return [r for r in self.runs if r.experiment_name == experiment_name]

    def only_run(self) -> RecordedRun:
        """The single run; ``AssertionError`` listing the runs when there are none or several."""
        runs = self.runs
        if len(runs) != 1:
            raise AssertionError(f"expected exactly one run, {_describe(runs)}")
        return runs[0]

    # --- assertion helpers -----------------------------------------------------------

    def assert_no_unhandled(self) -> None:
        """Fail, listing them, if any request reached an endpoint the fake lacks."""
        unhandled = self.unhandled
        if unhandled:
            lines = "\n".join(f"  - {r.method} {r.url}" for r in unhandled)
            raise AssertionError(
                f"{len(unhandled)} request(s) reached endpoints the fake server does not "
                f"implement:\n{lines}"
            )

    def assert_requested(self, method: str, path_contains: str) -> RecordedRequest:
        """The first request with that method whose URL contains ``path_contains``; else fail."""
        requests = self.requests
        for request in requests:
            if request.method == method.upper() and path_contains in request.url:
                return request
        seen = "\n".join(f"  - {r}" for r in requests) or "  (none)"
        raise AssertionError(
            f"no {method.upper()} request whose URL contains {path_contains!r}; "
            f"requests seen:\n{seen}"
        )

    def assert_all_authenticated(self) -> None:
        """Fail, listing them, if any request lacked a token the server accepted."""
        bad = [r for r in self.requests if not r.authenticated]
        if bad:
            lines = "\n".join(f"  - {r}" for r in bad)
            raise AssertionError(
                f"{len(bad)} request(s) did not carry an accepted bearer token:\n{lines}"
            )


def _describe(runs: list[RecordedRun]) -> str:
    if not runs:
        return "but the server has no runs"
    listed = "\n".join(
        f"  - {r.run_id} name={r.run_name!r} experiment={r.experiment_name!r} "
        f"status={r.status} lifecycle={r.lifecycle_stage}"
        for r in runs
    )
    return f"but the server has {len(runs)} run(s):\n{listed}"


@functools.lru_cache(maxsize=64)
def _expiry(token: str) -> float | None:
    """The ``exp`` of a JWT (``None`` for other tokens); cached, as every request asks."""
    from orquestra_mlflow.tokens import expiry

    return expiry(token)


def _jwt_expired(token: str) -> bool:
    exp = _expiry(token)
    return exp is not None and exp < time.time()
