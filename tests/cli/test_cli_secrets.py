"""No command but ``env`` ever prints a token: every output of every command, in each environment."""

from __future__ import annotations

from pathlib import Path

from .conftest import CliEnv, assert_no_secret


def _runs(env: CliEnv) -> list[tuple[str, ...]]:
    ws = env.workspace_id
    config = tuple(env.config_args)
    return [
        ("doctor",),
        ("doctor", "--json"),
        ("doctor", ws, *config),
        ("doctor", ws, *config, "--json"),
        ("doctor", "ws-unknown", *config),
        ("doctor", ws, "--config", "nope"),
        ("whoami", *config),
        ("whoami", "--config", "nope"),
        ("artifacts-dir",),
        ("env", "bad ws", *config),
        ("--help",),
    ]


def test_no_token_in_any_output(cli_env: CliEnv) -> None:
    for args in _runs(cli_env):
        assert_no_secret(cli_env, cli_env.run(*args))
    # ... also when things go wrong: a refused token, an unreachable catalog.
    cli_env.workspace.server.revoke_token(cli_env.token)
    cli_env.workspace.catalog.refuse(401)
    for args in _runs(cli_env):
        assert_no_secret(cli_env, cli_env.run(*args))
    assert len(cli_env.outputs) == 2 * len(_runs(cli_env))


def test_no_token_when_the_token_is_no_jwt(cli_env: CliEnv) -> None:
    secret = "opaque-secret-value-0123456789"
    token_file = Path(
        cli_env.environ.get("ORQUESTRA_PASSPORT_FILE")
        or cli_env.root / "home" / ".orquestra" / "config.json"
    )
    token_file.write_text(token_file.read_text().replace(cli_env.token, secret))
    cli_env.token = secret
    for args in _runs(cli_env)[:8]:  # doctor and whoami: the commands that read the token
        assert_no_secret(cli_env, cli_env.run(*args))


def test_env_prints_the_token_only_on_stdout(cli_env: CliEnv) -> None:
    result = cli_env.run("env", cli_env.workspace_id, *cli_env.config_args)
    assert result.status == 0
    assert cli_env.token in result.stdout
    assert cli_env.token not in result.stderr
