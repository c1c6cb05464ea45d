"""The installed distribution is what users get: its entry points, typed markers,
and (outside an editable install) modules loaded from site-packages, not the checkout."""

from __future__ import annotations

import importlib.metadata as md
import subprocess
import sys
from pathlib import Path

import pytest

import orquestra_mlflow
import pytest_orq_mlflow

CHECKOUT = Path(__file__).resolve().parents[2]
DIST = md.distribution("orquestra-mlflow")


def _editable() -> bool:
    direct_url = DIST.read_text("direct_url.json") or ""
    return '"editable": true' in direct_url.replace(" ", "").replace('":true', '": true')


def test_the_entry_points_are_declared() -> None:
    points = {(ep.group, ep.name): ep.value for ep in DIST.entry_points}
    assert points[("pytest11", "orq_mlflow")] == "pytest_orq_mlflow.plugin"
    assert points[("console_scripts", "orq-mlflow")] == "orquestra_mlflow.cli:main"
    assert ("mlflow.request_auth_provider", "orquestra") in points
    assert ("mlflow.run_context_provider", "orquestra") in points


def test_both_packages_are_typed() -> None:
    for package in (orquestra_mlflow, pytest_orq_mlflow):
        assert (Path(package.__file__).parent / "py.typed").is_file(), package.__name__


def test_the_version_matches_the_distribution() -> None:
    assert orquestra_mlflow.__version__ == DIST.version


def test_modules_come_from_the_installed_package() -> None:
    if _editable():
        pytest.skip("an editable install serves the checkout by design")
    for package in (orquestra_mlflow, pytest_orq_mlflow):
        location = Path(package.__file__).resolve()
        assert not location.is_relative_to(CHECKOUT), f"{package.__name__} loaded from {location}"


def test_the_plugin_is_loaded_through_its_entry_point(tmp_path: Path) -> None:
    (tmp_path / "test_one.py").write_text(
        "def test_one(orq_mlflow):\n    assert orq_mlflow.runs == []\n"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--trace-config",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    registered = [line for line in result.stdout.splitlines() if "pytest_orq_mlflow" in line]
    assert any("orq_mlflow" in line and "plugin.py" in line for line in registered), registered
    assert "1 passed" in result.stdout
