"""The local rules: the config file written by `orq login`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import orquestra_mlflow as om
from pytest_orq_mlflow import OrqEnvironment, make_token
from pytest_orq_mlflow.sandbox import config_document, remote_config_entry

from .conftest import write_config


def test_uri_and_token_from_the_named_config(orq_local: OrqEnvironment) -> None:
    assert om.get_tracking_uri("ws-1", "prod-d") == "https://prod-d.orquestra.io/mlflow/ws-1"
    assert om.get_tracking_token("prod-d") == orq_local.token


def test_missing_config_name_is_a_value_error(orq_local: OrqEnvironment) -> None:
    for call in (lambda: om.get_tracking_uri("ws-1"), lambda: om.get_tracking_token()):
        with pytest.raises(om.InvalidArgumentError, match="config_name"):
            call()


def test_missing_config_file(orq_local: OrqEnvironment) -> None:
    orq_local.config_path.unlink()
    with pytest.raises(om.ConfigFileNotFoundError, match="orq login") as info:
        om.get_tracking_uri("ws-1", "prod-d")
    assert isinstance(info.value, FileNotFoundError) and str(orq_local.config_path) in str(
        info.value
    )


@pytest.mark.parametrize(
    "document",
    ["{not json", "[]", '{"configs": []}', {"version": "0.0.2"}],
    ids=["corrupt", "list", "configs-list", "no-configs"],
)
def test_corrupt_or_wrong_shape(orq_local: OrqEnvironment, document: object) -> None:
    write_config(orq_local, document)
    with pytest.raises(om.ConfigFileError) as info:
        om.get_tracking_uri("ws-1", "prod-d")
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    "entry",
    [{"config_name": "prod-d"}, {"runtime_options": "x"}, {"runtime_options": {"uri": 5}}],
    ids=["no-options", "options-not-object", "uri-not-string"],
)
def test_partial_entry(orq_local: OrqEnvironment, entry: object) -> None:
    write_config(orq_local, config_document({"prod-d": entry}))  # type: ignore[dict-item]
    with pytest.raises(om.ConfigFileError, match="prod-d"):
        om.get_tracking_uri("ws-1", "prod-d")


def test_unknown_config_lists_known_names(orq_local: OrqEnvironment) -> None:
    with pytest.raises(om.ConfigNotFoundError) as info:
        om.get_tracking_uri("ws-1", "staging")
    message = str(info.value)
    assert "'staging'" in message and "'prod-d'" in message and "'local'" in message


def test_config_without_uri_or_token(orq_local: OrqEnvironment) -> None:
    entry = {"config_name": "bare", "runtime_name": "CE_REMOTE", "runtime_options": {}}
    write_config(orq_local, config_document({"bare": entry}))
    with pytest.raises(om.ConfigError, match=r"'bare'.*no cluster URI"):
        om.get_tracking_uri("ws-1", "bare")
    with pytest.raises(om.ConfigError, match=r"'bare'.*no token"):
        om.get_tracking_token("bare")


def test_orq_config_path_is_honoured(orq_local: OrqEnvironment, tmp_path: Path) -> None:
    other = orq_local.sandbox.root / "elsewhere.json"
    token = make_token("x@example.com")
    orq_local.sandbox.write_config("other", "https://other.example", token, path=other)
    orq_local.set_variable("ORQ_CONFIG_PATH", str(other))
    assert om.get_tracking_uri("ws-1", "other") == "https://other.example/mlflow/ws-1"
    assert om.get_current_user("other") == "x@example.com"
    with pytest.raises(om.ConfigNotFoundError):
        om.get_tracking_uri("ws-1", "prod-d")


def test_changed_home_is_honoured_at_call_time(orq_local: OrqEnvironment) -> None:
    assert om.get_tracking_uri("ws-1", "prod-d")
    new_home = orq_local.sandbox.root / "home2"
    orq_local.set_variable("HOME", str(new_home))
    with pytest.raises(om.ConfigFileNotFoundError, match="home2"):
        om.get_tracking_uri("ws-1", "prod-d")
    assert om.get_temp_artifacts_dir() == new_home / ".orquestra" / "mlflow" / "artifacts"


@pytest.mark.parametrize("name", ["local", "ray", "in_process"])
def test_reserved_local_runtime_names_have_no_uri(orq_local: OrqEnvironment, name: str) -> None:
    # even if the file has an entry of that name, it is never read
    entry = remote_config_entry(name, "https://sneaky.example", orq_local.token)
    write_config(orq_local, config_document({name: entry}))
    with pytest.raises(om.ConfigError, match=name):
        om.get_tracking_uri("ws-1", name)


def test_auto_uses_orq_current_config(orq_local: OrqEnvironment) -> None:
    with pytest.raises(om.ConfigError, match="ORQ_CURRENT_CONFIG"):
        om.get_tracking_uri("ws-1", "auto")
    orq_local.set_variable("ORQ_CURRENT_CONFIG", "prod-d")
    assert om.get_tracking_uri("ws-1", "auto") == orq_local.tracking_uri.replace("ws-test", "ws-1")
    assert om.get_tracking_token("auto") == orq_local.token
    orq_local.set_variable("ORQ_CURRENT_CONFIG", "auto")
    with pytest.raises(om.ConfigError, match="refer to itself"):
        om.get_tracking_uri("ws-1", "auto")


def test_auto_remotely_is_the_current_cluster(orq_studio: OrqEnvironment) -> None:
    from orquestra_mlflow.config import read_config

    config = read_config("auto")
    assert config.uri == "https://prod-d.orquestra.io" and config.token == orq_studio.token
    assert orq_studio.token not in repr(config)


def test_no_cluster_variables_locally(orq_local: OrqEnvironment) -> None:
    assert not om.is_remote()
    assert "ORQ_CURRENT_CLUSTER" not in os.environ
