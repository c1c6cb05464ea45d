"""pytest fixtures that simulate Orquestra's local, Studio and CE environments and fake its MLflow server.

Install with ``pip install "orquestra-mlflow[testing]"``; the fixtures (``orq_env``,
``orq_local``, ``orq_studio``, ``orq_ce``, ``orq_mlflow``, ``orq_artifacts_dir``, ...)
are then available in every pytest run. The names below are exported for type
annotations and for use without pytest; they are imported on first access, so
importing this package stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .catalog import FakeCatalog
    from .environments import EnvironmentSpec, OrqEnvironment, OrqSettings
    from .fakeserver import FakeTrackingServer, RecordedRun
    from .isolation import OrqMlflowWarning
    from .jwt_tokens import make_token
    from .sandbox import Sandbox
    from .tasks import Worker
    from .workspace import FakeWorkspace

_EXPORTS = {
    "EnvironmentSpec": ".environments",
    "FakeCatalog": ".catalog",
    "FakeTrackingServer": ".fakeserver",
    "FakeWorkspace": ".workspace",
    "OrqEnvironment": ".environments",
    "OrqMlflowWarning": ".isolation",
    "OrqSettings": ".environments",
    "RecordedRun": ".fakeserver",
    "Sandbox": ".sandbox",
    "Worker": ".tasks",
    "make_token": ".jwt_tokens",
}

__all__ = [
    "EnvironmentSpec",
    "FakeCatalog",
    "FakeTrackingServer",
    "FakeWorkspace",
    "OrqEnvironment",
    "OrqMlflowWarning",
    "OrqSettings",
    "RecordedRun",
    "Sandbox",
    "Worker",
    "make_token",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
