"""Snapshot and restore of the process state a test or a simulated task can change.

What is covered: ``os.environ``, the current directory, MLflow's fluent globals
(tracking and registry URI, active experiment, the active-run stack of the calling
thread, the last active run and logged model) and MLflow's caches keyed by URI
or run ID, and :mod:`orquestra_mlflow`'s namespace cache.

MLflow is never imported here: its globals are read and written only when its
modules are already in :data:`sys.modules`; a module that was not loaded at
snapshot time is restored to MLflow's initial values.
"""

from __future__ import annotations

import os
import sys
import warnings
from dataclasses import dataclass, field
from typing import Any

#: Prefixes of the variables removed from every simulated environment, so a test never
#: depends on the developer's shell.
SCRUBBED_PREFIXES = ("ORQ_", "ORQUESTRA_", "MLFLOW_")

#: Variables the harness sets in every simulated environment (and every simulated worker):
#: no telemetry, and MLflow's HTTP client fails fast instead of retrying for minutes.
HARNESS_VARIABLES: dict[str, str] = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "0",
    "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "2",
}

#: Variables of the machine that a fresh simulated worker keeps (everything else is dropped).
WORKER_BASE_VARIABLES = (
    "PATH",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "SYSTEMROOT",
    "PYTHONHASHSEED",
    "VIRTUAL_ENV",
)

_FLUENT = "mlflow.tracking.fluent"
_TRACKING_UTILS = "mlflow.tracking._tracking_service.utils"
_REGISTRY_UTILS = "mlflow.tracking._model_registry.utils"


class OrqMlflowWarning(UserWarning):
    """A warning of the ``orq_mlflow`` pytest plugin (for example: a test left a run open)."""


def is_scrubbed(name: str) -> bool:
    """``True`` for the variables a simulated environment removes (``ORQ_*``, ``ORQUESTRA_*``, ``MLFLOW_*``)."""
    return name.upper().startswith(SCRUBBED_PREFIXES)


def scrubbed(environ: dict[str, str]) -> dict[str, str]:
    """``environ`` without ``ORQ_*``, ``ORQUESTRA_*`` and ``MLFLOW_*`` variables."""
    return {k: v for k, v in environ.items() if not is_scrubbed(k)}


def replace_environ(target: dict[str, str]) -> None:
    """Make ``os.environ`` exactly ``target``, touching only the variables that differ."""
    current = os.environ
    for name in [n for n in current if n not in target]:
        del current[name]
    for name, value in target.items():
        if current.get(name) != value:
            current[name] = value


@dataclass
class MlflowState:
    """MLflow's process-global client state (the defaults are MLflow's initial values)."""

    tracking_uri: str | None = None
    registry_uri: str | None = None
    active_experiment_id: str | None = None
    active_run_stack: list[Any] = field(default_factory=list)
    last_active_run_id: str | None = None
    last_logged_model_id: str | None = None

    @classmethod
    def capture(cls) -> MlflowState:
        """The current state; MLflow's initial values for modules not imported yet."""
        state = cls()
        utils = sys.modules.get(_TRACKING_UTILS)
        if utils is not None:
            state.tracking_uri = utils._tracking_uri
        registry = sys.modules.get(_REGISTRY_UTILS)
        if registry is not None:
            state.registry_uri = registry._registry_uri
        fluent = sys.modules.get(_FLUENT)
        if fluent is not None:
            state.active_experiment_id = fluent._active_experiment_id
            state.active_run_stack = list(fluent._active_run_stack.get())
            state.last_active_run_id = fluent._last_active_run_id.get()
            state.last_logged_model_id = fluent._last_logged_model_id.get()
        return state

    def apply(self) -> None:
        """Make MLflow's globals (of the modules already imported) equal this state."""
        utils: Any = sys.modules.get(_TRACKING_UTILS)
        if utils is not None:
            utils._tracking_uri = self.tracking_uri
        registry: Any = sys.modules.get(_REGISTRY_UTILS)
        if registry is not None:
            registry._registry_uri = self.registry_uri
        fluent: Any = sys.modules.get(_FLUENT)
        if fluent is not None:
            fluent._active_experiment_id = self.active_experiment_id
            fluent._active_run_stack.set(list(self.active_run_stack))
            fluent._last_active_run_id.set(self.last_active_run_id)
            fluent._last_logged_model_id.set(self.last_logged_model_id)


def clear_mlflow_caches() -> None:
    """Empty MLflow's caches keyed by URI or run ID (stores, schemes, artifact repos, sessions)."""
    modules = sys.modules
    tracking_registry = modules.get("mlflow.tracking._tracking_service.registry")
    if tracking_registry is not None:
        tracking_registry.TrackingStoreRegistry._get_store_with_resolved_uri.cache_clear()
    model_registry = modules.get("mlflow.tracking._model_registry.registry")
    if model_registry is not None:
        model_registry.ModelRegistryStoreRegistry._get_store_with_resolved_uri.cache_clear()
    workspace_registry = modules.get("mlflow.tracking._workspace.registry")
    if workspace_registry is not None:
        for value in vars(workspace_registry).values():
            method = getattr(value, "_get_store_with_resolved_uri", None)
            if method is not None and hasattr(method, "cache_clear"):
                method.cache_clear()
    utils = modules.get(_TRACKING_UTILS)
    if utils is not None:
        utils._get_tracking_scheme_with_resolved_uri.cache_clear()
        utils._artifact_repos_cache.clear()
    request_utils = modules.get("mlflow.utils.request_utils")
    if request_utils is not None:
        request_utils._cached_get_request_session.cache_clear()


def disable_mlflow_telemetry() -> None:
    """Drop MLflow's telemetry client if MLflow was imported before telemetry was switched off."""
    client = modules_get("mlflow.telemetry.client")
    if client is not None and client.get_telemetry_client() is not None:
        client._set_telemetry_client(None)


def modules_get(name: str) -> Any:
    """``sys.modules.get(name)`` (a seam for tests)."""
    return sys.modules.get(name)


def clear_namespace_cache() -> None:
    """Forget :mod:`orquestra_mlflow`'s cached namespaces (if the library is imported)."""
    catalog = sys.modules.get("orquestra_mlflow.catalog")
    if catalog is not None:
        catalog.clear_namespace_cache()


@dataclass
class ProcessState:
    """Everything :func:`restore` puts back: the environment, the directory, MLflow's globals."""

    environ: dict[str, str]
    cwd: str
    mlflow: MlflowState

    @classmethod
    def capture(cls) -> ProcessState:
        """The state of this process now."""
        return cls(environ=dict(os.environ), cwd=os.getcwd(), mlflow=MlflowState.capture())

    def restore(self) -> None:
        """Put this state back: ``os.environ``, the current directory and MLflow's globals."""
        self.mlflow.apply()
        replace_environ(self.environ)
        if os.getcwd() != self.cwd:
            os.chdir(self.cwd)


def leftover_runs(before: MlflowState) -> list[Any]:
    """The runs on MLflow's active-run stack now that were not on it in ``before``."""
    fluent = sys.modules.get(_FLUENT)
    if fluent is None:
        return []
    known = {id(run) for run in before.active_run_stack}
    return [run for run in fluent._active_run_stack.get() if id(run) not in known]


def end_leftover_runs(before: MlflowState, *, where: str = "The test") -> list[str]:
    """End every run opened since ``before`` and left active, with a warning naming each.

    The runs are ended with status ``KILLED`` on the tracking server when it can
    still be reached; either way they are removed from MLflow's active-run stack.
    Returns the IDs of the runs ended.
    """
    runs = leftover_runs(before)
    if not runs:
        return []
    fluent = sys.modules[_FLUENT]
    run_ids = [run.info.run_id for run in runs]
    for _ in runs:
        try:
            fluent.end_run(status="KILLED")
        except Exception:  # the server may be gone: drop the run from the stack anyway
            stack = fluent._active_run_stack.get()
            if stack:
                stack.pop()
    warnings.warn(
        f"{where} left MLflow run(s) {', '.join(run_ids)} active; the orq_mlflow plugin ended "
        "them (status KILLED). End runs with `with mlflow.start_run():` or mlflow.end_run().",
        OrqMlflowWarning,
        stacklevel=2,
    )
    return run_ids
