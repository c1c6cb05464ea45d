"""``FakeWorkspace`` without pytest's fixtures: loopback transport and real subprocesses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pytest_orq_mlflow import FakeWorkspace
from pytest_orq_mlflow.sandbox import Sandbox

SCRIPT = """
import os, sys
import mlflow
import orquestra_mlflow as om
cfg = sys.argv[1] or None
os.environ["MLFLOW_TRACKING_URI"] = om.get_tracking_uri("ws-sub", config_name=cfg)
os.environ["MLFLOW_TRACKING_TOKEN"] = om.get_tracking_token(config_name=cfg)
with mlflow.start_run():
    mlflow.log_param("kind", sys.argv[2])
    path = om.get_temp_artifacts_dir() / "note.txt"; path.write_text(sys.argv[2])
    mlflow.log_artifact(str(path))
print("URI=" + os.environ["MLFLOW_TRACKING_URI"])
"""


@pytest.mark.parametrize("kind", ["local", "ce"])
def test_subprocess_over_loopback(tmp_path: Path, kind: str) -> None:
    with FakeWorkspace(workspace_id="ws-sub", namespace="sub-ns").start("loopback") as ws:
        env = ws.subprocess_env(kind, tmp_path / "sandbox")
        config = "prod-d" if kind == "local" else ""
        result = subprocess.run(
            [sys.executable, "-c", SCRIPT, config, kind],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        run = ws.server.only_run()
        url = ws.url
        uri = result.stdout.rsplit("URI=", 1)[1].strip()
    assert run.params == {"kind": kind} and run.artifacts["note.txt"] == kind.encode()
    if kind == "local":
        assert uri == f"{url}/mlflow/ws-sub"
        assert "HTTP_PROXY" not in env
    else:
        assert uri == "http://mlflow.sub-ns:8080"
        assert env["HTTP_PROXY"].startswith("http://127.0.0.1:")
    assert not (tmp_path / "mlflow.db").exists()


def test_environment_variables_in_process(tmp_path: Path) -> None:
    ws = FakeWorkspace()
    variables = ws.environment_variables("studio", tmp_path)
    assert variables["ORQUESTRA_PASSPORT_FILE"] == str(Sandbox(tmp_path).passport_path)
    assert (
        Path(variables["ORQUESTRA_PASSPORT_FILE"]).read_text().strip() in ws.server.accepted_tokens
    )
    assert variables["HOME"] == str(tmp_path / "home")
    assert "HTTP_PROXY" not in variables  # not started over loopback
    local = ws.environment_variables("local", tmp_path / "l")
    assert (tmp_path / "l" / "home" / ".orquestra" / "config.json").exists()
    assert "ORQ_CURRENT_CLUSTER" not in local
    with pytest.raises(ValueError, match="local, studio, ce"):
        ws.environment_variables("cloud", tmp_path)


def test_start_twice_and_unknown_transport() -> None:
    ws = FakeWorkspace()
    with pytest.raises(ValueError, match="loopback"):
        ws.start("carrier-pigeon")  # type: ignore[arg-type]
    with ws.start("loopback"):
        assert ws.url is not None and ws.url.startswith("http://127.0.0.1:")
        with pytest.raises(RuntimeError, match="already started"):
            ws.start()
    assert ws.url is None
