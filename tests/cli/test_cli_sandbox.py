"""``orq-mlflow sandbox``: a fake workspace a real MLflow client can use, stopped cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import run_cli

CLIENT = """
import os, mlflow, orquestra_mlflow as om
config = os.environ.get("DEMO_CONFIG") or None
os.environ["MLFLOW_TRACKING_URI"] = om.get_tracking_uri("demo-ws", config_name=config)
os.environ["MLFLOW_TRACKING_TOKEN"] = om.get_tracking_token(config_name=config)
mlflow.set_experiment("by-hand")
with mlflow.start_run() as run:
    mlflow.log_param("who", os.environ["DEMO_KIND"])
print(run.info.run_id)
"""


def _base_env(tmp_path: Path) -> dict[str, str]:
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.upper().startswith(("ORQ_", "ORQUESTRA_", "MLFLOW_")) and "PROXY" not in k.upper()
    }
    environ.update(HOME=str(tmp_path / "home"), TMPDIR=str(tmp_path / "tmp"))
    (tmp_path / "home").mkdir()
    (tmp_path / "tmp").mkdir()
    return environ


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "orquestra_mlflow", "sandbox", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def sandbox(
    tmp_path: Path,
) -> Iterator[tuple[subprocess.Popen[str], dict[str, Any], dict[str, str]]]:
    env = _base_env(tmp_path)
    proc = _start(["--format", "json"], env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else ""
        yield proc, json.loads(line), env
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _stop(proc: subprocess.Popen[str], signum: int = signal.SIGINT) -> tuple[int, str, str]:
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=15)
    return proc.returncode, stdout, stderr


def test_real_mlflow_clients_reach_the_sandbox_from_each_environment(
    sandbox: tuple[subprocess.Popen[str], dict[str, Any], dict[str, str]],
) -> None:
    proc, info, env = sandbox
    root = Path(info["root"])
    assert root.is_dir()
    clients = []
    for kind in ("local", "studio", "ce"):
        variables = info["environments"][kind]
        assert "HOME" not in variables
        client_env = {**env, **variables, "DEMO_KIND": kind}
        if kind == "local":
            client_env["DEMO_CONFIG"] = info["config_name"]
            assert Path(variables["ORQ_CONFIG_PATH"]).is_file()
        clients.append(
            subprocess.Popen(
                [sys.executable, "-c", CLIENT],
                env=client_env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    for client in clients:
        _, err = client.communicate(timeout=60)
        assert client.returncode == 0, err
    status, stdout, stderr = _stop(proc)
    assert status == 0, stderr
    assert "stopped after receiving 3 run(s)" in stderr
    assert not root.exists(), "the sandbox removes its files"
    assert "eyJ" not in stdout + stderr, "no token is printed"


def test_sh_output_exports_blocks_that_doctor_accepts(tmp_path: Path) -> None:
    env = _base_env(tmp_path)
    proc = _start([], env)
    try:
        assert proc.stdout is not None
        lines = []
        while not lines or not lines[-1].startswith("# Serving until Ctrl-C"):
            line = proc.stdout.readline()
            assert line, "the sandbox stopped early"
            lines.append(line)
        text = "".join(lines)
        local_block = text.split("# local:")[1].split("\n\n")[0]
        assert "eyJ" not in text
        script = (
            f"{local_block}\n{sys.executable} -m orquestra_mlflow doctor demo-ws --config sandbox\n"
        )
        done = subprocess.run(
            ["bash", "-c", script], env=env, capture_output=True, text=True, timeout=30
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "server         HTTP 200" in done.stdout
    finally:
        status, _, stderr = _stop(proc, signal.SIGTERM)
    assert status == 0, stderr
    assert list((tmp_path / "tmp").iterdir()) == []


def test_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("sandbox", "--port", str(port), env=_base_env(tmp_path), timeout=30)
    assert result.status == 1, result
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.output
    assert list((tmp_path / "tmp").iterdir()) == []


def test_chosen_port_is_used(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = _start(["--port", str(port), "--format", "json"], _base_env(tmp_path))
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        assert info["url"] == f"http://127.0.0.1:{port}"
    finally:
        time.sleep(0.1)
        status, _, stderr = _stop(proc)
    assert status == 0, stderr


def test_bad_port_is_a_usage_error() -> None:
    result = run_cli("sandbox", "--port", "70000")
    assert result.status == 2, result
    assert "--port must be between 1 and 65535" in result.stderr
