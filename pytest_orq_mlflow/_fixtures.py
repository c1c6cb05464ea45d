"""The bodies of the plugin's fixtures and hooks (the plugin module only delegates here).

Imported lazily by :mod:`pytest_orq_mlflow.plugin`, on the first use of a fixture
or when a test requests ``orq_env``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from .environments import KINDS, OrqEnvironment, OrqSettings
from .isolation import (
    ProcessState,
    clear_mlflow_caches,
    clear_namespace_cache,
    disable_mlflow_telemetry,
    end_leftover_runs,
    replace_environ,
    scrubbed,
)

if TYPE_CHECKING:
    from .workspace import FakeWorkspace

INSTALL_HINT = 'pip install "orquestra-mlflow[testing]"'
ENV_FIXTURES = ("orq_env", "orq_local", "orq_studio", "orq_ce")
MARKER = "orq_env"
OPTION = "--orq-env"

_active_env = pytest.StashKey[OrqEnvironment]()


def require_testing_extra(*modules: str) -> None:
    """Fail the test with the install command when a module of the ``testing`` extra is missing."""
    import importlib.util

    missing = [name for name in modules if importlib.util.find_spec(name) is None]
    if missing:
        pytest.fail(
            f"The orq_mlflow fixtures need {', '.join(missing)}, which are not installed. "
            f"Install the testing extra: {INSTALL_HINT}",
            pytrace=False,
        )


# -- pyfakefs -------------------------------------------------------------------------------

#: Modules the fixtures and the library use lazily. pyfakefs deletes from ``sys.modules``
#: every module first imported while it is active, and module-level references they hold
#: to ``os``/``posixpath`` stay bound to that test's (then dead) fake filesystem; so these
#: are imported before ``fs`` is set up.
PRELOAD = (
    "pytest_orq_mlflow.workspace",
    "pytest_orq_mlflow.transports",
    "pytest_orq_mlflow.fakeserver",
    "pytest_orq_mlflow.jwt_tokens",
    "pytest_orq_mlflow.sandbox",
    "orquestra_mlflow",
    "orquestra_mlflow.catalog",
    "orquestra_mlflow.config",
    "orquestra_mlflow.connection",
    "orquestra_mlflow.tokens",
    "responses",
    "requests",
    "requests.adapters",
    "urllib3.util.retry",
    "jwt",
)
#: Loaded too when MLflow itself is already imported (its lazy imports on the logging path).
PRELOAD_WITH_MLFLOW = (
    "mlflow.tracking.fluent",
    "mlflow.store.tracking.rest_store",
    "mlflow.store.artifact.artifact_repository_registry",
    "mlflow.store.artifact.mlflow_artifacts_repo",
    "mlflow.store.artifact.http_artifact_repo",
    "mlflow.utils.rest_utils",
    "mlflow.utils.request_utils",
)


def preload_for_pyfakefs() -> None:
    """Import what the fixtures need, before pyfakefs's ``fs`` fixture starts patching."""
    import contextlib
    import importlib
    import sys

    names = PRELOAD + (PRELOAD_WITH_MLFLOW if "mlflow" in sys.modules else ())
    for name in names:
        if name not in sys.modules:
            # a missing extra is reported by the fixture itself
            with contextlib.suppress(ImportError):
                importlib.import_module(name)


# -- command line and marker -----------------------------------------------------------------


def parse_kinds(value: str, source: str) -> tuple[str, ...]:
    """The environment kinds in a comma-separated ``value``; a ``UsageError`` for unknown ones."""
    kinds = tuple(part.strip() for part in value.split(",") if part.strip())
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise pytest.UsageError(
            f"{source}: unknown Orquestra environment(s) {', '.join(map(repr, unknown))}; "
            f"choose from {', '.join(KINDS)}."
        )
    return kinds


def selected_kinds(config: pytest.Config, node: pytest.Item | Any) -> list[str]:
    """The kinds ``orq_env`` runs a test in: the marker's (or all), narrowed by ``--orq-env``."""
    kinds: tuple[str, ...] = KINDS
    marker = node.get_closest_marker(MARKER)
    if marker is not None:
        if marker.kwargs:
            raise pytest.UsageError(
                f"@pytest.mark.{MARKER} takes environment names as arguments, e.g. "
                f'@pytest.mark.{MARKER}("studio", "ce"); got keyword arguments {marker.kwargs}.'
            )
        names = [str(arg) for arg in marker.args]
        kinds = parse_kinds(",".join(names), f"@pytest.mark.{MARKER} on {node.nodeid}")
    option = config.getoption("orq_env", default=None)
    if option:
        allowed = parse_kinds(option, OPTION)
        kinds = tuple(k for k in kinds if k in allowed)
    return [k for k in KINDS if k in kinds]


# -- the session-wide workspaces -------------------------------------------------------------


class WorkspacePool:
    """One :class:`FakeWorkspace` per distinct :class:`OrqSettings`, built on first use."""

    def __init__(self) -> None:
        self._workspaces: dict[OrqSettings, FakeWorkspace] = {}

    def get(self, settings: OrqSettings) -> FakeWorkspace:
        """The workspace for ``settings`` (stopped; reset it before use)."""
        workspace = self._workspaces.get(settings)
        if workspace is None:
            from .workspace import FakeWorkspace

            workspace = FakeWorkspace(settings)
            self._workspaces[settings] = workspace
        return workspace

    def close(self) -> None:
        """Stop every workspace."""
        for workspace in self._workspaces.values():
            workspace.stop()
        self._workspaces.clear()


def workspace_pool() -> Iterator[WorkspacePool]:
    """Body of ``orq_workspace_factory``."""
    require_testing_extra("responses")
    pool = WorkspacePool()
    yield pool
    pool.close()


# -- isolation -------------------------------------------------------------------------------


class Guard:
    """The process state at the start of a test, and what to do after it is restored."""

    def __init__(self, state: ProcessState) -> None:
        self.state = state
        self.cleanups: list[Callable[[], None]] = []

    def end_leftover_runs(self, nodeid: str) -> None:
        """End runs the test left active (with a warning naming them)."""
        end_leftover_runs(self.state.mlflow, where=f"The test {nodeid}")

    def restore(self, nodeid: str) -> None:
        """Put everything back, then run the cleanups."""
        try:
            self.end_leftover_runs(nodeid)
        finally:
            self.state.restore()
            clear_mlflow_caches()
            clear_namespace_cache()
            for cleanup in reversed(self.cleanups):
                cleanup()


def guard(request: pytest.FixtureRequest) -> Iterator[Guard]:
    """Body of ``_orq_guard``: snapshot at set-up, restore at teardown."""
    if "fs" in request.fixturenames:
        # pyfakefs first, in either order, so the sandbox is made inside the fake filesystem.
        request.getfixturevalue("fs")
    state = ProcessState.capture()
    clear_namespace_cache()
    disable_mlflow_telemetry()
    current = Guard(state)
    yield current
    current.restore(request.node.nodeid)


def workspace(
    request: pytest.FixtureRequest,
    pool: WorkspacePool,
    settings: OrqSettings,
    current: Guard,
) -> Iterator[FakeWorkspace]:
    """Body of ``orq_workspace``: the session's workspace for ``settings``, reset and serving."""
    if not isinstance(settings, OrqSettings):
        pytest.fail(
            f"The orq_settings fixture must return an OrqSettings (from pytest_orq_mlflow), "
            f"not {type(settings).__name__}.",
            pytrace=False,
        )
    fake = pool.get(settings)
    fake.reset()
    fake.start("in-process")
    try:
        yield fake
    finally:
        try:
            current.end_leftover_runs(request.node.nodeid)  # while the server is reachable
        finally:
            fake.stop()


def environment(request: pytest.FixtureRequest, kind: str) -> OrqEnvironment:
    """Body of ``orq_local``/``orq_studio``/``orq_ce``/``orq_env``: apply ``kind`` to the process."""
    from .sandbox import Sandbox

    active = request.node.stash.get(_active_env, None)
    if active is not None:
        pytest.fail(
            f"{request.node.nodeid} asks for the {kind!r} environment but already uses "
            f"{active.kind!r}: a test runs in one simulated environment. Use orq_env to run it "
            "in several, or split the test.",
            pytrace=False,
        )
    current: Guard = request.getfixturevalue("_orq_guard")
    fake: FakeWorkspace = request.getfixturevalue("orq_workspace")
    sandbox = Sandbox.create()
    current.cleanups.append(sandbox.remove)
    setup = fake.prepare(kind, sandbox)
    environ = scrubbed(dict(os.environ))
    environ.update(setup.variables)
    replace_environ(environ)
    clear_namespace_cache()
    handle = OrqEnvironment(fake, setup)
    request.node.stash[_active_env] = handle
    current.cleanups.append(lambda: request.node.stash.__delitem__(_active_env))
    return handle


def env_param(request: pytest.FixtureRequest) -> str:
    """The kind ``orq_env`` was parametrized with; a clear failure when it was not."""
    kind = getattr(request, "param", None)
    if kind not in KINDS:
        pytest.fail(
            "orq_env is parametrized by the plugin only when a test function names it as an "
            "argument; request it that way (or use orq_local, orq_studio or orq_ce for one "
            "environment).",
            pytrace=False,
        )
    return str(kind)


def artifacts_dir(request: pytest.FixtureRequest) -> Any:
    """Body of ``orq_artifacts_dir``: the active environment's artifacts dir (``orq_local`` if none)."""
    for name in ENV_FIXTURES:
        if name in request.fixturenames:
            handle: OrqEnvironment = request.getfixturevalue(name)
            break
    else:
        handle = request.getfixturevalue("orq_local")
    path = handle.artifacts_dir
    path.mkdir(parents=True, exist_ok=True)
    return path
