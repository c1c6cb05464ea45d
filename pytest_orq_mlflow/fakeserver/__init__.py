"""A fake MLflow tracking server for tests: in-memory, fast, and strict like the real one.

Typical use (what the pytest plugin does)::

    from pytest_orq_mlflow.fakeserver import FakeTrackingServer
    from pytest_orq_mlflow.http import Mounts
    from pytest_orq_mlflow.transports import InProcessTransport

    server = FakeTrackingServer()          # require_auth=True by default
    server.accept_token(token)             # the bearer token the client will send
    mounts = Mounts()
    mounts.mount("https://prod-d.orquestra.io/mlflow/my-ws", server)   # local style
    mounts.mount("http://mlflow-cr.ns-abc:5000", server)               # Studio/CE style
    with InProcessTransport(mounts):       # or LoopbackTransport(mounts) for subprocesses
        ...  # MLflow client code with MLFLOW_TRACKING_URI / MLFLOW_TRACKING_TOKEN set
    run = server.only_run()
    assert run.params == {"lr": "0.1"}

The pieces: :mod:`.backend` (plain-Python store with MLflow's rules),
:mod:`.routes` (the REST route table), :mod:`.views` (``RecordedRun`` and
friends), :mod:`.server` (:class:`FakeTrackingServer`: auth, recording,
assertion helpers). Importing this package imports neither mlflow, requests
nor responses.
"""

from __future__ import annotations

from pytest_orq_mlflow.fakeserver.backend import TrackingBackend
from pytest_orq_mlflow.fakeserver.errors import MlflowApiError
from pytest_orq_mlflow.fakeserver.server import FakeTrackingServer
from pytest_orq_mlflow.fakeserver.views import RecordedExperiment, RecordedRequest, RecordedRun

__all__ = [
    "FakeTrackingServer",
    "MlflowApiError",
    "RecordedExperiment",
    "RecordedRequest",
    "RecordedRun",
    "TrackingBackend",
]
