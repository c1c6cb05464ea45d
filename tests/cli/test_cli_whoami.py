"""``orq-mlflow whoami`` and ``orq-mlflow artifacts-dir`` in each simulated environment."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .conftest import CliEnv, assert_no_secret


def test_whoami_prints_the_user(cli_env: CliEnv) -> None:
    result = cli_env.run("whoami", *cli_env.config_args)
    assert result.status == 0, result
    assert result.stdout == f"{cli_env.user}\n"
    assert_no_secret(cli_env, result)


def test_whoami_locally_needs_a_config(make_env: Callable[[str], CliEnv]) -> None:
    env = make_env("local")
    result = env.run("whoami")
    assert result.status == 2, result
    assert "--config NAME" in result.stderr


def test_whoami_with_a_token_that_is_no_jwt(make_env: Callable[[str], CliEnv]) -> None:
    env = make_env("studio")
    del env.environ["ORQ_CURRENT_USER"]
    Path(env.environ["ORQUESTRA_PASSPORT_FILE"]).write_text("not-a-jwt\n", encoding="utf-8")
    result = env.run("whoami")
    assert result.status == 1, result
    assert "is not a valid JWT" in result.stderr
    assert "not-a-jwt" not in result.output


def test_artifacts_dir_prints_and_creates_it(cli_env: CliEnv) -> None:
    result = cli_env.run("artifacts-dir")
    assert result.status == 0, result
    path = Path(result.stdout.strip())
    assert path.is_dir()
    assert path.is_relative_to(cli_env.root)


def test_artifacts_dir_that_is_a_file(make_env: Callable[[str], CliEnv]) -> None:
    env = make_env("ce")
    blocker = env.root / "blocker"
    blocker.write_text("")
    result = env.run("artifacts-dir", extra_env={"ORQ_MLFLOW_ARTIFACTS_DIR": str(blocker)})
    assert result.status == 1, result
    assert "exists but is not a directory" in result.stderr
    assert "Traceback" not in result.output
