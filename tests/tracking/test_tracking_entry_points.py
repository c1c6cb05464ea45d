"""The installed package registers both MLflow plugins, and they cost ``import mlflow`` little."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys

from orquestra_mlflow.mlflow_plugins.auth import OrquestraAuth, OrquestraRequestAuthProvider
from orquestra_mlflow.mlflow_plugins.context import OrquestraRunContextProvider


def _entry_points(group: str) -> dict[str, str]:
    return {
        ep.name: ep.value
        for ep in importlib.metadata.entry_points(group=group)
        if ep.dist is not None and ep.dist.name == "orquestra-mlflow"
    }


def test_the_installed_distribution_declares_both_entry_points():
    assert _entry_points("mlflow.request_auth_provider") == {
        "orquestra": "orquestra_mlflow.mlflow_plugins.auth:OrquestraRequestAuthProvider"
    }
    assert _entry_points("mlflow.run_context_provider") == {
        "orquestra": "orquestra_mlflow.mlflow_plugins.context:OrquestraRunContextProvider"
    }


def test_mlflow_registered_both_providers():
    from mlflow.tracking.context.registry import _run_context_provider_registry
    from mlflow.tracking.request_auth.registry import _request_auth_provider_registry, fetch_auth

    assert any(isinstance(p, OrquestraRunContextProvider) for p in _run_context_provider_registry)
    assert any(isinstance(p, OrquestraRequestAuthProvider) for p in _request_auth_provider_registry)
    assert isinstance(fetch_auth("orquestra"), OrquestraAuth)


_PROBE = """
import json, sys
import mlflow
after_mlflow = sorted(m for m in sys.modules if m.startswith(("orquestra_mlflow", "jwt")))
for name in [m for m in sys.modules if m.startswith("orquestra_mlflow")]:
    del sys.modules[name]
import orquestra_mlflow
print(json.dumps({"after_mlflow": after_mlflow, "tracking": orquestra_mlflow.tracking.__module__}))
"""


def test_import_mlflow_loads_only_the_small_context_module():
    env = {"MLFLOW_DISABLE_TELEMETRY": "true", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, env=env, check=True
    )
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert "orquestra_mlflow.mlflow_plugins.context" in loaded["after_mlflow"]
    heavy = {"orquestra_mlflow.scoped_tracking", "orquestra_mlflow.mlflow_plugins.auth", "jwt"}
    assert not heavy & set(loaded["after_mlflow"])
    assert loaded["tracking"] == "orquestra_mlflow.scoped_tracking"


def test_import_orquestra_mlflow_and_its_tracking_do_not_import_mlflow():
    code = (
        "import sys, orquestra_mlflow as om; om.tracking; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('mlflow', 'jwt')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={}, check=True
    )
    assert done.stdout.strip() == "[]"
