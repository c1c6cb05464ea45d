"""``orq-mlflow doctor``: the diagnosis in each simulated environment, and one line per problem."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .conftest import CliEnv, assert_no_secret

TOP_LEVEL_KEYS = {
    "version",
    "ok",
    "environment",
    "variables",
    "config_file",
    "token",
    "artifacts_dir",
    "tracking",
    "problems",
}


def doctor_json(
    env: CliEnv, *args: str, extra_env: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    result = env.run("doctor", *args, "--json", extra_env=extra_env)
    assert_no_secret(env, result)
    assert result.stderr == "", result
    return result.status, json.loads(result.stdout)


def errors(report: dict[str, Any]) -> list[str]:
    return [p["message"] for p in report["problems"] if p["severity"] == "error"]


def test_healthy_setup_reaches_the_server(cli_env: CliEnv) -> None:
    status, report = doctor_json(cli_env, cli_env.workspace_id, *cli_env.config_args)
    assert status == 0, report["problems"]
    assert set(report) == TOP_LEVEL_KEYS
    assert report["version"] == 1
    assert report["ok"] is True
    assert report["environment"]["kind"] == ("remote" if cli_env.remote else "local")
    assert report["token"]["present"] is True
    assert report["token"]["jwt"] is True
    assert report["token"]["user"] == cli_env.user
    assert report["token"]["expired"] is False
    assert report["token"]["expires_in_seconds"] > 0
    assert report["artifacts_dir"]["writable"] is True
    assert report["tracking"]["uri"] == cli_env.tracking_uri
    assert report["tracking"]["server"]["status"] == 200
    assert report["tracking"]["server"]["ok"] is True
    assert errors(report) == []
    requests = [r for r in cli_env.workspace.server.requests if "experiments/search" in r.path]
    assert len(requests) == 1, "one bounded request to the server"


def test_text_report_names_each_section(cli_env: CliEnv) -> None:
    result = cli_env.run("doctor", cli_env.workspace_id, *cli_env.config_args)
    assert result.status == 0, result
    for heading in (
        "Environment",
        "Variables",
        "Config file",
        "Token",
        "Artifacts dir",
        "Tracking",
    ):
        assert f"\n{heading}" in "\n" + result.stdout
    assert f"user           {cli_env.user}" in result.stdout
    assert "server         HTTP 200" in result.stdout
    assert_no_secret(cli_env, result)


def test_secret_variable_values_are_redacted(make_env: Callable[[str], CliEnv]) -> None:
    env = make_env("studio")
    _, report = doctor_json(
        env, extra_env={"MLFLOW_TRACKING_TOKEN": env.token, "MLFLOW_TRACKING_URI": env.token}
    )
    shown = {row["name"]: row for row in report["variables"]}
    assert shown["MLFLOW_TRACKING_TOKEN"] == {
        "name": "MLFLOW_TRACKING_TOKEN",
        "set": True,
        "value": "***",
        "secret": True,
    }
    assert shown["MLFLOW_TRACKING_URI"]["value"] == "***"  # the token, wherever it appears
    assert shown["ORQ_CURRENT_USER"]["value"] == env.user


def test_local_without_config_file(make_env: Callable[[str], CliEnv]) -> None:
    env = make_env("local")
    status, report = doctor_json(env, extra_env={"ORQ_CONFIG_PATH": str(env.root / "none.json")})
    assert status == 1
    assert report["config_file"]["found"] is False
    assert report["config_file"]["source"] == "ORQ_CONFIG_PATH"
    [message] = errors(report)
    assert "No Orquestra config file at" in message
    assert "orq login" in message


def test_local_corrupt_config_file(make_env: Callable[[str], CliEnv]) -> None:
    env = make_env("local")
    broken = env.root / "broken.json"
    broken.write_text("{not json")
    status, report = doctor_json(env, extra_env={"ORQ_CONFIG_PATH": str(broken)})
    assert status == 1
    assert report["config_file"] | {"configs": []} == report["config_file"]
    assert (report["config_file"]["found"], report["config_file"]["valid"]) == (True, False)
    assert "is not valid JSON" in errors(report)[0]


def test_local_lists_configs_and_warns_when_none_chosen(make_env: Callable[[str], CliEnv]) -> None:
    env = make_env("local")
    status, report = doctor_json(env)
    assert status == 0
    assert report["config_file"]["configs"] == [
        {
            "name": env.config_name,
            "runtime_name": "CE_REMOTE",
            "uri": env.workspace.cluster_uri,
            "has_token": True,
        }
    ]
    [warning] = [p for p in report["problems"] if p["topic"] == "config"]
    assert warning["severity"] == "warning"
    assert (
        f"Pass --config NAME (configs with a cluster URI: {env.config_name})" in warning["message"]
    )


def test_unknown_config(make_env: Callable[[str], CliEnv]) -> None:
    env = make_env("local")
    status, report = doctor_json(env, "--config", "nope")
    assert status == 1
    assert "No config named 'nope'" in errors(report)[0]


def test_expired_token_is_an_error(make_env: Callable[[str], CliEnv]) -> None:
    from pytest_orq_mlflow.jwt_tokens import make_token

    env = make_env("ce")
    env.token = make_token(env.user, expires_in=-7200)
    Path(env.environ["ORQUESTRA_PASSPORT_FILE"]).write_text(env.token)
    status, report = doctor_json(env)
    assert status == 1
    assert report["token"]["expired"] is True
    [message] = errors(report)
    assert "expired 2 h ago" in message
    assert "Restart the Studio session or task" in message


def test_token_that_is_no_jwt_is_a_warning(make_env: Callable[[str], CliEnv]) -> None:
    env = make_env("studio")
    env.token = "opaque-secret-passport-value"
    Path(env.environ["ORQUESTRA_PASSPORT_FILE"]).write_text(env.token)
    status, report = doctor_json(env)
    assert status == 0
    assert report["token"]["jwt"] is False
    assert any("is not a JWT" in p["message"] for p in report["problems"])


def test_server_refusing_the_token(make_env: Callable[[str], CliEnv]) -> None:
    env = make_env("local")
    env.workspace.server.revoke_token(env.token)
    status, report = doctor_json(env, env.workspace_id, *env.config_args)
    assert status == 1
    assert report["tracking"]["server"]["status"] == 401
    [message] = errors(report)
    assert "refused the token (HTTP 401)" in message


def test_unreachable_server(make_env: Callable[[str], CliEnv]) -> None:
    env = make_env("local")
    import json as _json

    config = _json.loads((env.root / "home/.orquestra/config.json").read_text())
    entry = next(iter(config["configs"].values()))
    entry["runtime_options"]["uri"] = "http://127.0.0.1:9"  # discard port: nothing listens
    (env.root / "home/.orquestra/config.json").write_text(_json.dumps(config))
    status, report = doctor_json(env, env.workspace_id, *env.config_args)
    assert status == 1
    assert report["tracking"]["server"]["error"] == "connection failed"
    assert "did not answer (connection failed)" in errors(report)[0]


def test_remote_missing_variables_one_line_each(make_env: Callable[[str], CliEnv]) -> None:
    env = make_env("studio")
    del env.environ["ORQ_MLFLOW_CR_NAME"]
    del env.environ["ORQ_MLFLOW_ARTIFACTS_DIR"]
    status, report = doctor_json(env, env.workspace_id)
    assert status == 1
    [message] = errors(report)
    assert message.startswith("ORQ_MLFLOW_CR_NAME is not set")
    assert any(
        p["severity"] == "warning" and p["message"].startswith("ORQ_MLFLOW_ARTIFACTS_DIR")
        for p in report["problems"]
    )


def test_remote_catalog_refusal(make_env: Callable[[str], CliEnv]) -> None:
    env = make_env("ce")
    env.workspace.catalog.refuse(403)
    status, report = doctor_json(env, env.workspace_id)
    assert status == 1
    assert report["tracking"]["uri"] is None
    assert "refused the passport token (HTTP 403)" in errors(report)[0]


def test_unwritable_artifacts_dir(make_env: Callable[[str], CliEnv]) -> None:
    env = make_env("ce")
    blocker = env.root / "blocker"
    blocker.write_text("")
    status, report = doctor_json(env, extra_env={"ORQ_MLFLOW_ARTIFACTS_DIR": str(blocker / "x")})
    assert status == 1
    assert report["artifacts_dir"]["writable"] is False
    assert "cannot be created" in errors(report)[0]


def test_stale_mlflow_tracking_uri_is_a_warning(make_env: Callable[[str], CliEnv]) -> None:
    env = make_env("studio")
    status, report = doctor_json(
        env, env.workspace_id, extra_env={"MLFLOW_TRACKING_URI": "http://elsewhere:5000"}
    )
    assert status == 0
    assert any("is set to http://elsewhere:5000" in p["message"] for p in report["problems"])


@pytest.mark.parametrize("args", [["bad ws"], ["--config"]])
def test_doctor_usage_errors(make_env: Callable[[str], CliEnv], args: list[str]) -> None:
    env = make_env("local")
    result = env.run("doctor", *args)
    assert result.status == 2, result
    assert "Traceback" not in result.output
