"""Fixtures for the fake tracking server's tests: a server, transports, and a clean MLflow."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pytest_orq_mlflow.fakeserver import FakeTrackingServer
from pytest_orq_mlflow.http import Mounts
from pytest_orq_mlflow.transports import InProcessTransport, LoopbackTransport

TOKEN = "test-token-123"
REMOTE_BASE = "http://mlflow-cr.ns-abc:5000"
LOCAL_BASE = "https://prod-d.orquestra.io/mlflow/my-ws"

_MLFLOW_VARIABLES = (
    "MLFLOW_TRACKING_URI",
    "MLFLOW_TRACKING_TOKEN",
    "MLFLOW_EXPERIMENT_ID",
    "MLFLOW_EXPERIMENT_NAME",
    "MLFLOW_RUN_ID",
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES",
    "MLFLOW_HTTP_REQUEST_TIMEOUT",
)


def reset_mlflow_globals() -> None:
    """End active runs and forget MLflow's process-wide tracking URI and experiment."""
    import mlflow
    from mlflow.tracking import fluent
    from mlflow.tracking._tracking_service import utils

    while mlflow.active_run() is not None:
        try:
            mlflow.end_run()
        except Exception:  # the server may be gone; the run stack must still be emptied
            fluent._active_run_stack.set([])
    fluent._active_run_stack.set([])
    fluent._last_active_run_id.set(None)
    fluent._active_experiment_id = None
    utils._tracking_uri = None


@pytest.fixture
def clean_mlflow(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Telemetry off, MLflow variables restored, cwd in ``tmp_path``, MLflow globals reset."""
    for name in _MLFLOW_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.chdir(tmp_path)
    yield
    reset_mlflow_globals()


@pytest.fixture
def fake_server() -> FakeTrackingServer:
    """A fake tracking server that accepts ``TOKEN``."""
    server = FakeTrackingServer()
    server.accept_token(TOKEN)
    return server


@dataclass
class Connected:
    """A fake server reachable at ``uri`` through ``transport_name``."""

    server: FakeTrackingServer
    uri: str
    transport_name: str


@pytest.fixture(params=["inprocess", "loopback"])
def connected(
    request: pytest.FixtureRequest,
    fake_server: FakeTrackingServer,
    clean_mlflow: None,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Connected]:
    """The fake server over each transport, with MLFLOW_TRACKING_URI/TOKEN set."""
    mounts = Mounts()
    transport: InProcessTransport | LoopbackTransport
    if request.param == "inprocess":
        mounts.mount(REMOTE_BASE, fake_server)
        mounts.mount(LOCAL_BASE, fake_server)
        transport = InProcessTransport(mounts)
        transport.start()
        uri = REMOTE_BASE
    else:
        transport = LoopbackTransport(mounts).start()
        uri = transport.mount_self(fake_server, "mlflow/my-ws")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", TOKEN)
    try:
        yield Connected(fake_server, uri, str(request.param))
    finally:
        reset_mlflow_globals()
        transport.stop()


@pytest.fixture
def fail_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """No retries and a short timeout, for tests where a request is expected to fail."""
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")


def write_tree(root: Path) -> None:
    """A small artifact tree with text and binary files."""
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "a.txt").write_text("alpha")
    (root / "sub" / "b.json").write_text('{"b": 1}')
    (root / "sub" / "deeper" / "c.bin").write_bytes(bytes(range(256)) * 4)


assert os  # keep the import for readers running pieces interactively
