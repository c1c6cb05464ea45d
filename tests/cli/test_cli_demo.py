"""``orq-mlflow demo``: three environments, one table, exit 0, nothing left behind."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from orquestra_mlflow.cli import main


def _clean_env(tmp_path: Path) -> dict[str, str]:
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.upper().startswith(("ORQ_", "ORQUESTRA_", "MLFLOW_")) and "PROXY" not in k.upper()
    }
    for name in ("home", "cwd", "tmp"):
        (tmp_path / name).mkdir()
    environ.update(HOME=str(tmp_path / "home"), TMPDIR=str(tmp_path / "tmp"))
    return environ


def test_demo_runs_everywhere_and_leaves_nothing_behind(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "orquestra_mlflow", "demo"],
        env=_clean_env(tmp_path),
        cwd=tmp_path / "cwd",
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert re.search(r"All 3 runs arrived intact, in \d+\.\d s\.", out), out
    assert re.search(
        r"^tracking URI +http://127\.0\.0\.1:\d+/mlflow/demo-ws +http://mlflow\.demo-ws-ns:8080 +http://mlflow\.demo-ws-ns:8080$",
        out,
        re.M,
    ), out
    assert re.search(r"^token from +config 'sandbox' .* passport file", out, re.M)
    assert len(re.findall(r"\b[0-9a-f]{32}\b", out)) == 3, "three distinct run ids"
    assert out.count("epochs=5, learning_rate=0.1") == 3
    assert out.count("loss: 5 steps, last 0.5905") == 3
    assert re.search(r"^arrived intact +yes +yes +yes$", out, re.M)
    assert "eyJ" not in out + done.stderr, "no token is printed"
    for name in ("home", "cwd", "tmp"):
        assert list((tmp_path / name).iterdir()) == [], f"the demo left files in {name}"


def test_demo_without_mlflow_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "mlflow" else real(name, *a)
    )
    assert main(["demo"]) == 1
    err = capsys.readouterr().err
    assert "pip install 'orquestra-mlflow[demo]'" in err


def test_ctrl_c_cleans_up(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "orquestra_mlflow", "demo"],
        env=_clean_env(tmp_path),
        cwd=tmp_path / "cwd",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        proc.stdout.readline()
        assert "Running the example task" in proc.stdout.readline()
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr
    assert "Traceback" not in stderr
    assert list((tmp_path / "tmp").iterdir()) == []
