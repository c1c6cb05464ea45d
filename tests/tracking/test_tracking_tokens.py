"""The ``orquestra`` request auth provider: the current token on every request, clear 401s."""

from __future__ import annotations

import logging
import os
import warnings
from typing import Any

import mlflow
import pytest
from mlflow.exceptions import MlflowException

import orquestra_mlflow as om
from orquestra_mlflow import TokenExpiredWarning


def bearer(request: Any) -> str | None:
    """The bearer token a recorded request carried."""
    for name, value in request.headers.items():
        if name.lower() == "authorization" and value.startswith("Bearer "):
            return str(value[len("Bearer ") :])
    return None


def test_a_token_rotated_mid_run_is_used_by_the_next_request(orq_env, orq_mlflow):
    first = orq_env.token

    @om.tracking(orq_env.workspace_id, orq_env.config_name)
    def long_task() -> None:
        with mlflow.start_run():
            mlflow.log_param("phase", "before")
            rotated = orq_env.rotate_token()  # the platform rotates it / `orq login` rewrites it
            assert rotated != first
            mlflow.log_metric("loss", 0.5)
            mlflow.set_tag("phase", "after")

    orq_env.run_task(long_task)

    run = orq_mlflow.only_run()
    assert (run.params, run.metrics, run.tags["phase"], run.status) == (
        {"phase": "before"},
        {"loss": 0.5},
        "after",
        "FINISHED",
    )
    tokens = [bearer(r) for r in orq_mlflow.requests]
    switch = tokens.index(orq_env.token)
    assert set(tokens[:switch]) == {first} and set(tokens[switch:]) == {orq_env.token}
    orq_mlflow.assert_all_authenticated()


def _no_token_anywhere(text: str, *tokens: str) -> None:
    for token in tokens:
        assert token not in text
        assert token.split(".")[-1] not in text  # not even the signature


def test_an_expired_token_warns_on_entry_and_the_401_says_how_to_log_in(
    orq_env, orq_mlflow, caplog
):
    caplog.set_level(logging.DEBUG)
    with om.tracking(orq_env.workspace_id, orq_env.config_name):
        pass  # remotely, the workspace's namespace is now cached, as in a long session
    expired = orq_env.expire_token()
    with (
        pytest.warns(TokenExpiredWarning, match=r"expired at .* UTC .* ago") as warned,
        om.tracking(orq_env.workspace_id, orq_env.config_name),
        pytest.raises(MlflowException) as refused,
    ):
        mlflow.search_experiments()

    message = str(refused.value)
    assert "the token has expired" in message  # what the server said
    assert "The Orquestra token from" in message and "expired at" in message
    if orq_env.remote:
        assert "passport file" in message and "restart the Studio session" in message
    else:
        assert "the config 'prod-d'" in message
        assert f"`orq login -s {orq_env.cluster_uri}`" in message
    for text in [message, caplog.text, *(str(w.message) for w in warned)]:
        _no_token_anywhere(text, expired)


def test_a_revoked_token_is_explained_without_the_token(orq_env, orq_mlflow):
    with om.tracking(orq_env.workspace_id, orq_env.config_name):
        orq_env.workspace.revoke_token(orq_env.token)
        with pytest.raises(MlflowException, match="refused the Orquestra token") as refused:
            mlflow.search_experiments()
    assert "expired" not in str(refused.value)
    _no_token_anywhere(str(refused.value), orq_env.token)


def test_after_logging_in_again_the_same_program_goes_on(orq_env, orq_mlflow):
    with om.tracking(orq_env.workspace_id, orq_env.config_name), mlflow.start_run() as run:
        orq_env.expire_token()
        with pytest.raises(MlflowException, match="expired"):
            mlflow.log_param("lost", 1)
        orq_env.rotate_token()  # `orq login` again, or the platform's next passport
        mlflow.log_param("kept", 2)
    assert orq_mlflow.run(run.info.run_id).params == {"kept": "2"}
    assert orq_mlflow.run(run.info.run_id).status == "FINISHED"


def test_ending_a_run_with_an_expired_token_raises_after_restoring(orq_env, orq_mlflow):
    with pytest.raises(MlflowException, match="expired"):  # noqa: SIM117
        with om.tracking(orq_env.workspace_id, orq_env.config_name):
            mlflow.start_run()
            orq_env.expire_token()
    assert mlflow.active_run() is None
    assert "MLFLOW_TRACKING_AUTH" not in os.environ


def test_the_provider_alone_refreshes_and_wins_over_a_stale_token_variable(orq_env, orq_mlflow):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # config_name is ignored remotely
        os.environ["MLFLOW_TRACKING_URI"] = om.get_tracking_uri(orq_env.workspace_id, "prod-d")
    os.environ["MLFLOW_TRACKING_TOKEN"] = "stale-token-from-yesterday"
    os.environ["MLFLOW_TRACKING_AUTH"] = "orquestra"
    if not orq_env.remote:
        os.environ["ORQ_MLFLOW_CONFIG_NAME"] = orq_env.config_name

    mlflow.search_experiments()
    rotated = orq_env.rotate_token()
    mlflow.search_experiments()

    assert [bearer(r) for r in orq_mlflow.requests][-1] == rotated
    orq_mlflow.assert_all_authenticated()


@pytest.mark.orq_env("local")
def test_locally_orq_current_config_names_the_config_when_nothing_else_does(orq_env, orq_mlflow):
    os.environ["MLFLOW_TRACKING_URI"] = orq_env.tracking_uri
    os.environ["MLFLOW_TRACKING_AUTH"] = "orquestra"
    os.environ["ORQ_CURRENT_CONFIG"] = orq_env.config_name
    mlflow.search_experiments()
    assert bearer(orq_mlflow.requests[-1]) == orq_env.token


@pytest.mark.orq_env("local")
def test_locally_without_a_config_name_the_error_says_what_to_set(orq_env, orq_mlflow):
    os.environ["MLFLOW_TRACKING_URI"] = orq_env.tracking_uri
    os.environ["MLFLOW_TRACKING_AUTH"] = "orquestra"
    with pytest.raises(MlflowException, match="ORQ_MLFLOW_CONFIG_NAME"):
        mlflow.search_experiments()
    assert orq_mlflow.requests == []


@pytest.mark.orq_env("studio", "ce")
def test_remotely_an_expired_passport_warns_before_the_namespace_look_up_fails(orq_env):
    orq_env.expire_token()
    with (
        pytest.warns(TokenExpiredWarning, match="passport file"),
        pytest.raises(om.PassportRefusedError),
        om.tracking(orq_env.workspace_id),
    ):
        pytest.fail("the body must not run")  # pragma: no cover


@pytest.mark.orq_env("studio", "ce")
def test_remotely_a_missing_passport_fails_on_entry(orq_env):
    orq_env.passport_path.unlink()
    with pytest.raises(om.PassportError, match="does not exist"):  # noqa: SIM117
        with om.tracking(orq_env.workspace_id):
            pytest.fail("the body must not run")  # pragma: no cover
