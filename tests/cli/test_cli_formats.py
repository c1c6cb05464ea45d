"""``orq-mlflow env --format``: quoting is safe, and each shell really gets the exact values."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from orquestra_mlflow.cli import formats

NASTY = [
    "plain",
    "",
    "it's",
    "''",
    'double "quotes"',
    "back\\slash\\",
    "\\'",
    "$HOME `id` $(id) ${X}",
    "semi;colon && amp | pipe > gt",
    "new\nline",
    "tab\there",
    "glob * ? [a]",
    "unicode é ✓ \u2019 \u2018",
    "# not a comment",
    "-n",
    "a!b",
]


def _values() -> dict[str, str]:
    return {f"ORQ_TEST_VALUE_{i}": value for i, value in enumerate(NASTY)}


def test_sh_quoting_examples() -> None:
    assert formats.quote_sh("it's") == "'it'\\''s'"
    assert formats.render({"A": "x"}, "sh") == "export A='x'\n"


def test_fish_quoting_examples() -> None:
    assert formats.quote_fish("it's \\") == "'it\\'s \\\\'"
    assert formats.render({"A": "x"}, "fish") == "set -gx A 'x'\n"


def test_powershell_quoting_doubles_every_single_quote_kind() -> None:
    assert formats.quote_powershell("it's \u2019") == "'it''s \u2019\u2019'"
    assert formats.render({"A": "x"}, "powershell") == "$Env:A = 'x'\n"


def test_dotenv_and_json() -> None:
    assert formats.render({"A": "it's"}, "dotenv") == "A='it\\'s'\n"
    assert json.loads(formats.render(_values(), "json")) == _values()


def test_unknown_format_and_bad_name_are_rejected() -> None:
    with pytest.raises(ValueError, match="unknown format"):
        formats.render({"A": "x"}, "cmd")
    with pytest.raises(ValueError, match="not an environment variable name"):
        formats.render({"A;rm": "x"}, "sh")


def _printer_python() -> str:
    # Print the variables back as JSON from inside the shell that evaluated them.
    return "import json, os; print(json.dumps({k: os.environ[k] for k in sorted(os.environ) if k.startswith('ORQ_TEST_VALUE_')}))"


@pytest.mark.parametrize("shell", ["bash", "sh", "dash"])
def test_eval_in_posix_shells_sets_exact_values(shell: str) -> None:
    path = shutil.which(shell)
    if path is None:
        pytest.skip(f"{shell} is not installed")
    script = f'eval "$ORQ_SCRIPT"\nexec "$ORQ_PYTHON" -c "{_printer_python()}"\n'
    out = _run([path, "-c", script], formats.render(_values(), "sh"))
    assert json.loads(out) == _values()


def test_source_in_fish_sets_exact_values() -> None:
    path = shutil.which("fish")
    if path is None:
        pytest.skip("fish is not installed (Debian package: fish)")
    script = f'printf \'%s\' "$ORQ_SCRIPT" | source; exec $ORQ_PYTHON -c "{_printer_python()}"'
    out = _run([path, "--no-config", "-c", script], formats.render(_values(), "fish"))
    assert json.loads(out) == _values()


def test_invoke_expression_in_powershell_sets_exact_values() -> None:
    path = shutil.which("pwsh")
    if path is None:
        pytest.skip("PowerShell (pwsh) is not installed")
    script = f'Invoke-Expression $Env:ORQ_SCRIPT; & $Env:ORQ_PYTHON -c "{_printer_python()}"'
    out = _run([path, "-NoProfile", "-Command", script], formats.render(_values(), "powershell"))
    assert json.loads(out) == _values()


def test_dotenv_parses_with_python_dotenv_when_installed() -> None:
    dotenv = pytest.importorskip("dotenv", reason="python-dotenv is not installed")
    import io

    # python-dotenv expands ${VAR} even in single quotes unless asked not to; tokens and
    # URIs never contain "${", so only the quoting itself is checked here.
    text = formats.render(_values(), "dotenv")
    parsed = dotenv.dotenv_values(stream=io.StringIO(text), interpolate=False)
    assert parsed == _values()


def _run(command: list[str], script: str) -> str:
    import os
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("ORQ_TEST_VALUE_")}
    env.update(ORQ_SCRIPT=script, ORQ_PYTHON=sys.executable)
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout
