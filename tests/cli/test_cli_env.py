"""``orq-mlflow env`` in each simulated environment: values, formats, shells, errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable

import pytest

from .conftest import CliEnv

FORMATS = ("sh", "fish", "powershell", "dotenv", "json")


def test_env_prints_uri_and_token_for_sh(cli_env: CliEnv) -> None:
    result = cli_env.run("env", cli_env.workspace_id, *cli_env.config_args)
    assert result.status == 0, result
    assert result.stdout == (
        f"export MLFLOW_TRACKING_URI='{cli_env.tracking_uri}'\n"
        f"export MLFLOW_TRACKING_TOKEN='{cli_env.token}'\n"
    )
    assert result.stderr == ""


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_carries_both_values(make_env: Callable[[str], CliEnv], fmt: str) -> None:
    env = make_env("local")
    result = env.run("env", env.workspace_id, "--config", env.config_name or "", "--format", fmt)
    assert result.status == 0, result
    assert env.tracking_uri in result.stdout
    assert env.token in result.stdout
    if fmt == "json":
        assert json.loads(result.stdout) == {
            "MLFLOW_TRACKING_URI": env.tracking_uri,
            "MLFLOW_TRACKING_TOKEN": env.token,
        }


def test_eval_in_bash_prepares_the_shell_for_mlflow(cli_env: CliEnv) -> None:
    """The README's line, for real: eval in bash, then a child process sees the variables."""
    command = " ".join(
        [
            sys.executable,
            "-m",
            "orquestra_mlflow",
            "env",
            cli_env.workspace_id,
            *cli_env.config_args,
        ]
    )
    script = (
        f'eval "$({command})" || exit 9\n'
        f"{sys.executable} -c \"import os; print(os.environ['MLFLOW_TRACKING_URI']); "
        f"print(os.environ['MLFLOW_TRACKING_TOKEN'])\"\n"
    )
    done = subprocess.run(
        ["bash", "-c", script],
        env=cli_env.environ,
        cwd=cli_env.root / "work",
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [cli_env.tracking_uri, cli_env.token]


def test_source_in_fish_prepares_the_shell(make_env: Callable[[str], CliEnv]) -> None:
    fish = shutil.which("fish")
    if fish is None:
        pytest.skip("fish is not installed (Debian package: fish)")
    env = make_env("studio")
    script = (
        f"{sys.executable} -m orquestra_mlflow env {env.workspace_id} --format fish | source; "
        "and echo $MLFLOW_TRACKING_URI; and echo $MLFLOW_TRACKING_TOKEN"
    )
    done = subprocess.run(
        [fish, "--no-config", "-c", script],
        env=env.environ,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [env.tracking_uri, env.token]


def test_remote_defaults_to_the_current_workspace(make_env: Callable[[str], CliEnv]) -> None:
    env = make_env("ce")
    result = env.run("env", "--format", "json")
    assert result.status == 0, result
    assert json.loads(result.stdout)["MLFLOW_TRACKING_URI"] == env.tracking_uri


def test_remote_ignores_config_with_a_warning(make_env: Callable[[str], CliEnv]) -> None:
    env = make_env("studio")
    result = env.run("env", env.workspace_id, "--config", "prod-d")
    assert result.status == 0, result
    assert "warning: --config prod-d is used only on a local machine" in result.stderr
    assert env.token not in result.stderr


def test_local_without_config_is_a_usage_error(make_env: Callable[[str], CliEnv]) -> None:
    env = make_env("local")
    result = env.run("env", env.workspace_id)
    assert result.status == 2, result
    assert result.stdout == ""
    assert "--config NAME" in result.stderr
    assert f"configs with a cluster URI: {env.config_name}" in result.stderr
    assert "Traceback" not in result.output


def test_local_uses_orq_current_config(make_env: Callable[[str], CliEnv]) -> None:
    env = make_env("local")
    result = env.run(
        "env", env.workspace_id, extra_env={"ORQ_CURRENT_CONFIG": env.config_name or ""}
    )
    assert result.status == 0, result
    assert env.tracking_uri in result.stdout


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["env", "bad ws"], 2, "not a valid workspace ID"),
        (["env", "ws", "--format", "cmd"], 2, "invalid choice: 'cmd'"),
        (["env", "ws", "--config", "nope"], 1, "No config named 'nope'"),
        (["env", "ws", "--config", "ray"], 1, "has no cluster URI"),
    ],
)
def test_env_errors(
    make_env: Callable[[str], CliEnv], args: list[str], status: int, message: str
) -> None:
    env = make_env("local")
    result = env.run(*args)
    assert result.status == status, result
    assert message in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.output


def test_unknown_workspace_is_an_environment_error(make_env: Callable[[str], CliEnv]) -> None:
    env = make_env("studio")
    result = env.run("env", "ws-unknown")
    assert result.status == 1, result
    assert "knows no workspace 'ws-unknown'" in result.stderr
    assert result.stdout == ""


def test_missing_platform_variable_names_it(make_env: Callable[[str], CliEnv]) -> None:
    env = make_env("ce")
    del env.environ["ORQ_MLFLOW_PORT"]
    result = env.run("env", env.workspace_id)
    assert result.status == 1, result
    assert "ORQ_MLFLOW_PORT is not set" in result.stderr
