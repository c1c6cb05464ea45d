"""The ``orq-mlflow`` entry points: help, usage errors, start-up cost."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orquestra_mlflow.cli import main

from .conftest import run_cli

COMMANDS = ("env", "doctor", "whoami", "artifacts-dir", "sandbox", "demo")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = run_cli(command, "--help")
    assert result.status == 0, result
    assert f"usage: orq-mlflow {command}" in result.stdout
    assert "examples:\n  orq-mlflow" in result.stdout or "examples:\n  eval" in result.stdout


def test_top_level_help_lists_commands_and_exit_statuses() -> None:
    result = run_cli("--help")
    assert result.status == 0
    for command in COMMANDS:
        assert command in result.stdout
    assert "exit status: 0 success, 1 environment problem, 2 usage mistake" in result.stdout
    assert "orq-mlflow demo" in result.stdout


def test_help_imports_neither_mlflow_nor_requests() -> None:
    code = (
        "import sys, contextlib, io\n"
        "from orquestra_mlflow.cli import main\n"
        "for argv in (['--help'], *[[c, '--help'] for c in "
        f"{list(COMMANDS)!r}]):\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        "        assert main(argv) == 0, argv\n"
        "heavy = sorted(m for m in ('mlflow', 'requests', 'jwt', 'urllib3') if m in sys.modules)\n"
        "print(heavy)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_console_script_is_installed_and_runs() -> None:
    script = shutil.which("orq-mlflow", path=str(Path(sys.executable).parent))
    assert script is not None, "reinstall the project: pip install -e ."
    done = subprocess.run(
        [script, "--version"], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 0
    assert done.stdout.startswith("orq-mlflow ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "choose a command"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["env", "a", "b"], "unrecognized arguments: b"),
        (["doctor", "--jsn"], "unrecognized arguments: --jsn"),
        (["sandbox", "--port", "x"], "invalid int value"),
    ],
)
def test_usage_mistakes_exit_2_without_traceback(args: list[str], message: str) -> None:
    result = run_cli(*args)
    assert result.status == 2, result
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_main_returns_instead_of_exiting(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert main(["nope"]) == 2
    assert "usage: orq-mlflow" in capsys.readouterr().out
