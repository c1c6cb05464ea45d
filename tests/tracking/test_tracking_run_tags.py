"""The ``orquestra`` run context provider: runs tagged with their origin, never failed by it."""

from __future__ import annotations

import getpass
import os
import warnings

import mlflow
import pytest

import orquestra_mlflow as om
from orquestra_mlflow import RunTagsWarning
from orquestra_mlflow.mlflow_plugins.context import OrquestraRunContextProvider

ORQ_TAGS = ("orquestra.workspace", "orquestra.project", "orquestra.cluster")


def _connect_documented_way(orq_env) -> None:  # type: ignore[no-untyped-def]
    os.environ["MLFLOW_TRACKING_URI"] = orq_env.tracking_uri
    os.environ["MLFLOW_TRACKING_TOKEN"] = orq_env.token


def test_runs_inside_tracking_carry_user_workspace_project_and_cluster(orq_env, orq_mlflow):
    @om.tracking(orq_env.workspace_id, orq_env.config_name)
    def task() -> None:
        with mlflow.start_run():
            pass

    orq_env.run_task(task)
    run = orq_mlflow.only_run()
    assert run.system_tags["mlflow.user"] == orq_env.user
    expected = {
        "orquestra.workspace": orq_env.workspace_id,
        "orquestra.cluster": orq_env.settings.cluster,
    }
    if orq_env.remote:
        expected["orquestra.project"] = orq_env.project
    assert {k: v for k, v in run.tags.items() if k.startswith("orquestra.")} == expected


@pytest.mark.orq_env("studio", "ce")
def test_on_orquestra_runs_are_tagged_without_tracking_too(orq_env, orq_mlflow):
    def documented_task() -> None:
        _connect_documented_way(orq_env)
        with mlflow.start_run():
            pass

    orq_env.run_task(documented_task)
    run = orq_mlflow.only_run()
    assert run.system_tags["mlflow.user"] == orq_env.user
    assert run.tags["orquestra.workspace"] == orq_env.workspace_id
    assert run.tags["orquestra.project"] == orq_env.project


@pytest.mark.orq_env("local")
def test_locally_outside_tracking_the_provider_does_nothing(orq_env, orq_mlflow):
    assert not OrquestraRunContextProvider().in_context()
    _connect_documented_way(orq_env)
    with mlflow.start_run():
        pass
    run = orq_mlflow.only_run()
    assert run.system_tags["mlflow.user"] == getpass.getuser()  # MLflow's own default
    assert not set(ORQ_TAGS) & set(run.tags)


def test_switched_off_by_orq_mlflow_disable_run_tags(orq_env, orq_mlflow):
    os.environ["ORQ_MLFLOW_DISABLE_RUN_TAGS"] = "True"
    with om.tracking(orq_env.workspace_id, orq_env.config_name), mlflow.start_run():
        assert not OrquestraRunContextProvider().in_context()
    assert not set(ORQ_TAGS) & set(orq_mlflow.only_run().tags)


def test_tags_given_to_start_run_win(orq_env, orq_mlflow):
    with (
        om.tracking(orq_env.workspace_id, orq_env.config_name),
        mlflow.start_run(tags={"orquestra.workspace": "mine", "mlflow.user": "bot"}),
    ):
        pass
    run = orq_mlflow.only_run()
    assert (run.tags["orquestra.workspace"], run.system_tags["mlflow.user"]) == ("mine", "bot")


def test_a_tag_that_cannot_be_found_is_a_warning_and_the_run_goes_on(
    orq_env, orq_mlflow, monkeypatch
):
    def broken(config_name: str | None = None) -> str:
        raise ValueError(f"no user in token {orq_env.token}")

    monkeypatch.setattr("orquestra_mlflow.users.get_current_user", broken)
    with (
        om.tracking(orq_env.workspace_id, orq_env.config_name),
        pytest.warns(RunTagsWarning, match=r"mlflow.user \(no user in token \*\*\*\)") as warned,
        mlflow.start_run(),
    ):
        mlflow.log_param("still", "logged")
    run = orq_mlflow.only_run()
    assert (run.params, run.status) == ({"still": "logged"}, "FINISHED")
    assert run.tags["orquestra.workspace"] == orq_env.workspace_id
    assert "ORQ_MLFLOW_DISABLE_RUN_TAGS" in str(warned[0].message)
    assert all(orq_env.token not in str(w.message) for w in warned)


def test_even_a_warning_turned_into_an_error_never_fails_the_run(orq_env, orq_mlflow, monkeypatch):
    def broken(*args: object, **kwargs: object) -> dict[str, str]:
        raise RuntimeError("boom")

    monkeypatch.setattr(
        "orquestra_mlflow.mlflow_plugins.context._collect_tags", broken, raising=True
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # what `filterwarnings = error` does
        with om.tracking(orq_env.workspace_id, orq_env.config_name), mlflow.start_run():
            mlflow.log_param("still", "logged")
    assert orq_mlflow.only_run().params == {"still": "logged"}
