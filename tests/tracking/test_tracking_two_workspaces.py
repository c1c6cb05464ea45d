"""``tracking()`` for two workspaces: nesting isolates them; threads may not mix them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import mlflow
import pytest

import orquestra_mlflow as om
from orquestra_mlflow import TrackingConflictError
from pytest_orq_mlflow.environments import OrqSettings
from pytest_orq_mlflow.fakeserver import FakeTrackingServer

OTHER = "ws-other"


@pytest.fixture
def orq_settings() -> OrqSettings:
    return OrqSettings(other_workspaces=((OTHER, "ws-other-ns"),))


@pytest.fixture
def other_server(orq_env: Any, orq_workspace: Any) -> Iterator[FakeTrackingServer]:
    """A second fake tracking server, serving workspace ``ws-other`` with the same token."""
    server = FakeTrackingServer()
    server.accept_token(orq_env.token)
    if orq_env.remote:
        settings = orq_env.settings
        url = f"http://{settings.cr_name}.ws-other-ns:{settings.port}"
    else:
        url = f"{orq_env.cluster_uri}/mlflow/{OTHER}"
    orq_workspace.mounts.mount(url, server)
    yield server
    orq_workspace.mounts.unmount(url)


def test_a_nested_scope_for_another_workspace_hides_the_outer_run(
    orq_env, orq_mlflow, other_server
):
    ws, config = orq_env.workspace_id, orq_env.config_name
    with om.tracking(ws, config):
        mlflow.set_experiment("outer")
        outer = mlflow.start_run()
        with om.tracking(OTHER, config) as inner:
            assert mlflow.get_tracking_uri() == inner.tracking_uri != orq_env.tracking_uri
            assert mlflow.active_run() is None  # the outer run lives on the other server
            with mlflow.start_run():
                mlflow.log_param("where", "other")
            mlflow.start_run()  # left open: ended by the inner scope, on its server
        assert mlflow.get_tracking_uri() == orq_env.tracking_uri
        assert mlflow.active_run().info.run_id == outer.info.run_id
        mlflow.log_param("where", "outer")

    assert orq_mlflow.only_run().params == {"where": "outer"}
    assert orq_mlflow.only_run().experiment_name == "outer"
    assert [(r.params, r.status) for r in other_server.runs] == [
        ({"where": "other"}, "FINISHED"),
        ({}, "FINISHED"),
    ]
    assert other_server.runs[0].tags["orquestra.workspace"] == OTHER


def test_another_workspace_in_another_thread_is_refused_clearly(orq_env, other_server):
    inside, done = threading.Event(), threading.Event()

    def hold() -> None:
        with om.tracking(orq_env.workspace_id, orq_env.config_name):
            inside.set()
            done.wait(timeout=30)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert inside.wait(timeout=30)
        with (
            pytest.raises(TrackingConflictError, match=r"other threads .* 'ws-test'.* per process"),
            om.tracking(OTHER, orq_env.config_name),
        ):
            pytest.fail("the body must not run")  # pragma: no cover
        with om.tracking(orq_env.workspace_id, orq_env.config_name):  # the same one is fine
            assert mlflow.get_tracking_uri() == orq_env.tracking_uri
    finally:
        done.set()
        thread.join(timeout=30)
    assert mlflow.get_tracking_uri() != orq_env.tracking_uri
