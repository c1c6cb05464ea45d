"""``orquestra_mlflow.tracking()``: connects, and puts back exactly what it changed."""

from __future__ import annotations

import os
import threading
from typing import Any

import mlflow
import pytest

import orquestra_mlflow as om
from orquestra_mlflow.errors import InvalidArgumentError
from orquestra_mlflow.scoped_tracking import MANAGED_VARIABLES, TrackingTarget


def mlflow_state() -> dict[str, Any]:
    """Every piece of state ``tracking()`` may change, as comparable data."""
    from mlflow.tracking import fluent
    from mlflow.tracking._model_registry import utils as registry_utils
    from mlflow.tracking._tracking_service import utils as tracking_utils

    return {
        "environ": {name: os.environ.get(name) for name in MANAGED_VARIABLES},
        "tracking_uri": tracking_utils._tracking_uri,
        "registry_uri": registry_utils._registry_uri,
        "experiment_id": fluent._active_experiment_id,
        "run_stack": [run.info.run_id for run in fluent._active_run_stack.get()],
        "last_active_run_id": fluent._last_active_run_id.get(),
        "last_logged_model_id": fluent._last_logged_model_id.get(),
    }


def bearer(request: Any) -> str | None:
    """The bearer token a recorded request carried."""
    for name, value in request.headers.items():
        if name.lower() == "authorization" and value.startswith("Bearer "):
            return str(value[len("Bearer ") :])
    return None


@pytest.fixture
def outside_state(tmp_path: Any) -> dict[str, Any]:
    """Settings of another server made before ``tracking()``, as a user might have them."""
    from mlflow.tracking import fluent

    mlflow.set_tracking_uri(f"sqlite:///{tmp_path}/elsewhere.db")
    mlflow.set_registry_uri(f"sqlite:///{tmp_path}/registry.db")
    os.environ["MLFLOW_TRACKING_TOKEN"] = "token-of-another-server"
    os.environ["MLFLOW_TRACKING_USERNAME"] = "someone"
    os.environ["MLFLOW_EXPERIMENT_ID"] = "42"
    fluent._active_experiment_id = "42"
    for name in ("MLFLOW_TRACKING_AUTH", "ORQ_MLFLOW_CONFIG_NAME", "ORQ_MLFLOW_WORKSPACE"):
        os.environ.pop(name, None)
    return mlflow_state()


def test_inside_mlflow_talks_to_the_workspace_with_the_current_token(orq_env, orq_mlflow):
    with om.tracking(orq_env.workspace_id, orq_env.config_name) as target:
        assert target == TrackingTarget(
            orq_env.workspace_id, orq_env.tracking_uri, orq_env.config_name
        )
        assert mlflow.get_tracking_uri() == orq_env.tracking_uri
        assert os.environ["MLFLOW_TRACKING_AUTH"] == "orquestra"
        assert "MLFLOW_TRACKING_TOKEN" not in os.environ
        mlflow.set_experiment("scoped")
        with mlflow.start_run():
            mlflow.log_param("alpha", 0.5)
            mlflow.log_metric("loss", 0.1)

    run = orq_mlflow.only_run()
    assert (run.experiment_name, run.params, run.status) == ("scoped", {"alpha": "0.5"}, "FINISHED")
    assert {bearer(r) for r in orq_mlflow.requests} == {orq_env.token}
    orq_mlflow.assert_all_authenticated()


def test_exit_restores_every_variable_and_mlflow_global_exactly(orq_env, orq_mlflow, outside_state):
    with om.tracking(orq_env.workspace_id, orq_env.config_name):
        inside = mlflow_state()
        assert inside["environ"]["MLFLOW_TRACKING_TOKEN"] is None
        assert inside["environ"]["MLFLOW_TRACKING_USERNAME"] is None
        assert inside["environ"]["MLFLOW_EXPERIMENT_ID"] is None
        assert inside["registry_uri"] is None
        assert inside["experiment_id"] is None
        mlflow.set_experiment("inside")
        os.environ["MLFLOW_TRACKING_TOKEN"] = orq_env.token  # the documented way, inside
        mlflow.start_run()

    assert mlflow_state() == outside_state
    assert orq_mlflow.only_run().status == "FINISHED"


def test_exit_restores_everything_when_the_body_raises(orq_env, orq_mlflow, outside_state):
    with pytest.raises(ZeroDivisionError), om.tracking(orq_env.workspace_id, orq_env.config_name):
        mlflow.start_run()
        mlflow.log_param("before", "the error")
        1 / 0  # noqa: B018

    assert mlflow_state() == outside_state
    run = orq_mlflow.only_run()
    assert (run.params, run.status) == ({"before": "the error"}, "FAILED")


def test_unset_variables_stay_unset(orq_env):
    before = mlflow_state()
    assert before["environ"]["MLFLOW_TRACKING_URI"] is None
    with om.tracking(orq_env.workspace_id, orq_env.config_name):
        pass
    assert mlflow_state() == before
    assert not {"MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_AUTH", "ORQ_MLFLOW_WORKSPACE"} & set(
        os.environ
    )


def test_a_run_left_open_is_ended_and_the_last_run_is_forgotten(orq_env, orq_mlflow):
    with om.tracking(orq_env.workspace_id, orq_env.config_name):
        run = mlflow.start_run()
        mlflow.start_run(nested=True)
    assert mlflow.active_run() is None
    assert [r.status for r in orq_mlflow.runs] == ["FINISHED", "FINISHED"]
    assert mlflow_state()["last_active_run_id"] != run.info.run_id


def test_nested_scope_for_the_same_workspace_shares_runs_and_restores_to_the_outer(
    orq_env, orq_mlflow
):
    ws, config = orq_env.workspace_id, orq_env.config_name
    with om.tracking(ws, config):
        mlflow.set_experiment("outer")
        outer = mlflow.start_run()
        outer_state = mlflow_state()
        with om.tracking(ws, config):
            assert mlflow.active_run().info.run_id == outer.info.run_id
            mlflow.log_param("from_inner", "yes")
            mlflow.set_experiment("inner")
            mlflow.start_run(nested=True)  # left open: ended by the inner scope
        assert mlflow_state() == outer_state
        mlflow.log_param("from_outer", "yes")
        mlflow.end_run()

    outer_run = orq_mlflow.run(outer.info.run_id)
    assert outer_run.params == {"from_inner": "yes", "from_outer": "yes"}
    assert [r.status for r in orq_mlflow.runs] == ["FINISHED", "FINISHED"]


def test_the_same_scope_object_can_be_entered_again_and_nested(orq_env):
    scope = om.tracking(orq_env.workspace_id, orq_env.config_name)
    before = mlflow_state()
    with scope, scope:
        assert mlflow.get_tracking_uri() == orq_env.tracking_uri
    with scope:
        pass
    assert mlflow_state() == before


def test_the_decorator_gives_every_call_its_own_scope(orq_env, orq_mlflow):
    @om.tracking(orq_env.workspace_id, orq_env.config_name)
    def train(rate: float) -> str:
        """Train."""
        with mlflow.start_run() as run:
            mlflow.log_param("rate", rate)
        return run.info.run_id

    before = mlflow_state()
    first, second = train(0.1), train(0.2)
    assert mlflow_state() == before
    assert train.__name__ == "train" and train.__doc__ == "Train."
    assert orq_mlflow.run(first).params == {"rate": "0.1"}
    assert orq_mlflow.run(second).params == {"rate": "0.2"}


def _connection_left_behind() -> dict[str, Any]:
    """A task that only looks at what an earlier task on its worker left behind."""
    from mlflow.tracking._tracking_service import utils

    return {
        "MLFLOW_TRACKING_URI": os.environ.get("MLFLOW_TRACKING_URI"),
        "MLFLOW_TRACKING_TOKEN": os.environ.get("MLFLOW_TRACKING_TOKEN"),
        "MLFLOW_TRACKING_AUTH": os.environ.get("MLFLOW_TRACKING_AUTH"),
        "set_tracking_uri": utils._tracking_uri,
    }


def test_reused_worker_the_documented_way_leaks_into_the_next_task(orq_env, orq_mlflow):
    def documented_task() -> None:
        os.environ["MLFLOW_TRACKING_URI"] = om.get_tracking_uri(
            orq_env.workspace_id, orq_env.config_name
        )
        os.environ["MLFLOW_TRACKING_TOKEN"] = om.get_tracking_token(orq_env.config_name)
        with mlflow.start_run():
            mlflow.log_param("task", "documented")

    worker = orq_env.worker("reused")
    worker.run_task(documented_task)
    leaked = worker.run_task(_connection_left_behind)
    assert leaked["MLFLOW_TRACKING_URI"] == orq_env.tracking_uri
    assert leaked["MLFLOW_TRACKING_TOKEN"] == orq_env.token


def test_reused_worker_a_decorated_task_twice_leaves_nothing_behind(orq_env, orq_mlflow):
    @om.tracking(orq_env.workspace_id, orq_env.config_name)
    def scoped_task(attempt: int) -> str:
        with mlflow.start_run() as run:
            mlflow.log_param("attempt", attempt)
        return run.info.run_id

    worker = orq_env.worker("reused")
    first = worker.run_task(scoped_task, 1)
    assert worker.run_task(_connection_left_behind) == dict.fromkeys(
        ("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_AUTH", "set_tracking_uri")
    )
    orq_env.rotate_token()  # the second task also gets the new token without doing anything
    second = worker.run_task(scoped_task, 2)
    assert worker.run_task(_connection_left_behind)["MLFLOW_TRACKING_URI"] is None
    assert worker.tasks_run == 4
    assert [orq_mlflow.run(r).params for r in (first, second)] == [
        {"attempt": "1"},
        {"attempt": "2"},
    ]
    orq_mlflow.assert_all_authenticated()


@pytest.mark.orq_env("studio", "ce")
def test_config_name_is_ignored_remotely_with_the_sdk_warning(orq_env, orq_mlflow):
    with (
        pytest.warns(UserWarning, match="config_name"),
        om.tracking(orq_env.workspace_id, "prod-d"),
    ):
        assert mlflow.get_tracking_uri() == orq_env.tracking_uri
        assert "ORQ_MLFLOW_CONFIG_NAME" not in os.environ


def test_locally_a_missing_config_name_fails_before_changing_anything(orq_local):
    before = mlflow_state()
    with (
        pytest.raises(InvalidArgumentError, match="config_name"),
        om.tracking(orq_local.workspace_id),
    ):
        pytest.fail("the body must not run")  # pragma: no cover
    assert mlflow_state() == before


def test_threads_share_a_scope_for_the_same_workspace(orq_env, orq_mlflow):
    barrier = threading.Barrier(2, timeout=10)
    errors: list[BaseException] = []
    before = mlflow_state()

    def worker(name: str) -> None:
        try:
            with om.tracking(orq_env.workspace_id, orq_env.config_name):
                barrier.wait()  # both threads are inside at once
                with mlflow.start_run(experiment_id="0"):
                    mlflow.log_param("thread", name)
                barrier.wait()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert sorted(r.params["thread"] for r in orq_mlflow.runs) == ["a", "b"]
    assert mlflow_state() == before


@om.tracking("ws-test")
def _module_level_task() -> None:
    """A decorated function that pickle finds by name, as Ray's workers do."""


def test_scopes_and_decorated_functions_pickle():
    import pickle

    scope = pickle.loads(pickle.dumps(om.tracking("ws-test", "prod-d")))
    assert (scope.workspace_id, scope.config_name) == ("ws-test", "prod-d")
    assert pickle.loads(pickle.dumps(_module_level_task)) is _module_level_task


def test_async_and_generator_functions_are_refused_with_what_to_do():
    async def coroutine() -> None:
        pass

    def generator():  # type: ignore[no-untyped-def]
        yield mlflow.active_run()

    for func in (coroutine, generator):
        with pytest.raises(TypeError, match=r"Use `with tracking\(...\):` inside"):
            om.tracking("ws-test", "prod-d")(func)


def test_a_failure_while_entering_changes_nothing(orq_env, monkeypatch):
    import orquestra_mlflow.scoped_tracking as scoped

    def broken(target: object) -> None:
        os.environ["MLFLOW_TRACKING_AUTH"] = "orquestra"  # half applied ...
        raise RuntimeError("boom")  # ... then a failure

    monkeypatch.setattr(scoped, "_apply", broken)
    before = mlflow_state()
    with (
        pytest.raises(RuntimeError, match="boom"),
        om.tracking(orq_env.workspace_id, orq_env.config_name),
    ):
        pytest.fail("the body must not run")  # pragma: no cover
    assert mlflow_state() == before
    assert scoped._activations == []
