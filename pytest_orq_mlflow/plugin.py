"""The ``orq_mlflow`` pytest plugin (registered under the ``pytest11`` entry point).

Thin on purpose: loaded by every pytest run where ``orquestra-mlflow`` is
installed, it imports nothing beyond pytest. The fixtures delegate to
:mod:`pytest_orq_mlflow._fixtures`, imported on first use.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

    from pytest_orq_mlflow._fixtures import Guard, WorkspacePool
    from pytest_orq_mlflow.environments import OrqEnvironment, OrqSettings
    from pytest_orq_mlflow.fakeserver import FakeTrackingServer
    from pytest_orq_mlflow.workspace import FakeWorkspace


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--orq-env``."""
    group = parser.getgroup("orq_mlflow", "Orquestra MLflow simulation (orquestra-mlflow)")
    group.addoption(
        "--orq-env",
        dest="orq_env",
        default=None,
        metavar="KINDS",
        help="run tests that use the orq_env fixture only in these simulated environments "
        "(comma-separated: local,studio,ce).",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``orq_env`` marker and check ``--orq-env``."""
    config.addinivalue_line(
        "markers",
        "orq_env(*kinds): run a test using the orq_env fixture only in these simulated "
        "Orquestra environments ('local', 'studio', 'ce').",
    )
    value = config.getoption("orq_env", default=None)
    if value:  # fail before collection, not in the first test that uses orq_env
        from pytest_orq_mlflow._fixtures import OPTION, parse_kinds

        parse_kinds(value, OPTION)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run a test that uses ``orq_env`` once per selected environment (ids local, studio, ce)."""
    if "orq_env" not in metafunc.fixturenames:
        return
    from pytest_orq_mlflow._fixtures import selected_kinds

    kinds = selected_kinds(metafunc.config, metafunc.definition)
    metafunc.parametrize("orq_env", kinds, indirect=True, ids=kinds)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before a test using both pyfakefs's ``fs`` and an ``orq_*`` fixture, preload modules."""
    names = getattr(item, "fixturenames", ())
    if "fs" in names and any(name.startswith("orq_") for name in names):
        from pytest_orq_mlflow._fixtures import preload_for_pyfakefs

        preload_for_pyfakefs()


@pytest.fixture
def orq_settings() -> OrqSettings:
    """What the simulated Orquestra looks like (function scope; an ``OrqSettings``).

    Defaults: workspace ``ws-test`` (namespace ``ws-test-ns``), cluster
    ``prod-d.orquestra.io`` with the local config ``prod-d``, MLflow CR ``mlflow`` on
    port 8080, user ``tester@example.com``, project ``project-1``. Override this
    fixture in a ``conftest.py`` (or a test module) to change them::

        @pytest.fixture
        def orq_settings():
            return OrqSettings(workspace_id="my-ws", user="me@example.com")
    """
    from pytest_orq_mlflow.environments import OrqSettings

    return OrqSettings()


@pytest.fixture(scope="session")
def orq_workspace_factory() -> Iterator[WorkspacePool]:
    """The session's fake workspaces, one per distinct ``orq_settings`` (session scope).

    Builds each fake tracking server, resource catalog and route table once;
    ``orq_workspace`` resets it for every test. Rarely used directly.
    """
    from pytest_orq_mlflow._fixtures import workspace_pool

    yield from workspace_pool()


@pytest.fixture
def _orq_guard(request: pytest.FixtureRequest) -> Iterator[Guard]:
    """Snapshot os.environ, cwd and MLflow's globals; restore them after the test."""
    from pytest_orq_mlflow._fixtures import guard

    yield from guard(request)


@pytest.fixture
def orq_workspace(
    request: pytest.FixtureRequest,
    _orq_guard: Guard,
    orq_workspace_factory: WorkspacePool,
    orq_settings: OrqSettings,
) -> Iterator[FakeWorkspace]:
    """The fake Orquestra workspace of this test (function scope; a ``FakeWorkspace``).

    Its tracking server (``.server``) and resource catalog (``.catalog``) are reset
    and answer this process's ``requests`` calls in memory for the duration of the
    test. After the test, ``os.environ``, the current directory and MLflow's global
    state are restored, and runs left active are ended with an ``OrqMlflowWarning``.
    """
    from pytest_orq_mlflow._fixtures import workspace

    yield from workspace(request, orq_workspace_factory, orq_settings, _orq_guard)


@pytest.fixture
def orq_mlflow(orq_workspace: FakeWorkspace) -> FakeTrackingServer:
    """The fake MLflow tracking server of this test (function scope; a ``FakeTrackingServer``).

    Empty at the start of every test; read what the code under test logged with
    ``.runs``, ``.only_run()``, ``.run(run_id)``, ``.runs_in(name)``, ``.requests``.
    It is the ``server`` of the environment handles (``orq_env.server``).
    """
    return orq_workspace.server


@pytest.fixture
def orq_local(
    request: pytest.FixtureRequest, _orq_guard: Guard, orq_workspace: FakeWorkspace
) -> OrqEnvironment:
    """A simulated local machine (function scope; an ``OrqEnvironment`` with kind ``"local"``).

    HOME is a sandbox holding ``~/.orquestra/config.json`` as ``orq login`` writes
    it (config ``prod-d``: the cluster URI and a JWT whose ``email`` is the user);
    no cluster variables; ``ORQ_*``/``ORQUESTRA_*``/``MLFLOW_*`` of your shell removed.
    """
    from pytest_orq_mlflow._fixtures import environment

    return environment(request, "local")


@pytest.fixture
def orq_studio(
    request: pytest.FixtureRequest, _orq_guard: Guard, orq_workspace: FakeWorkspace
) -> OrqEnvironment:
    """A simulated Orquestra Studio session (function scope; an ``OrqEnvironment``, kind ``"studio"``).

    Every platform variable set (``ORQ_CURRENT_*``, ``ORQUESTRA_PASSPORT_FILE`` naming a
    real passport file in the sandbox, ``ORQ_MLFLOW_CR_NAME``/``_PORT``/``_ARTIFACTS_DIR``),
    and the resource catalog answers the namespace look-up for the workspace.
    """
    from pytest_orq_mlflow._fixtures import environment

    return environment(request, "studio")


@pytest.fixture
def orq_ce(
    request: pytest.FixtureRequest, _orq_guard: Guard, orq_workspace: FakeWorkspace
) -> OrqEnvironment:
    """A simulated Compute Engine task (function scope; an ``OrqEnvironment``, kind ``"ce"``).

    The same variables as Studio; ``run_task`` runs every task in a fresh simulated
    Ray worker that sees only the platform's variables (``.worker("reused")`` or
    ``.worker("in_process")`` reproduce the documented exceptions).
    """
    from pytest_orq_mlflow._fixtures import environment

    return environment(request, "ce")


@pytest.fixture
def orq_env(
    request: pytest.FixtureRequest, _orq_guard: Guard, orq_workspace: FakeWorkspace
) -> OrqEnvironment:
    """The test once per simulated environment: ids ``local``, ``studio``, ``ce`` (function scope).

    Narrow with ``@pytest.mark.orq_env("studio", "ce")`` or ``--orq-env=local``.
    Returns the ``OrqEnvironment`` handle of ``orq_local``/``orq_studio``/``orq_ce``.
    """
    from pytest_orq_mlflow._fixtures import env_param, environment

    return environment(request, env_param(request))


@pytest.fixture
def orq_artifacts_dir(request: pytest.FixtureRequest) -> Path:
    """The sandboxed directory ``get_temp_artifacts_dir()`` returns in this test (a ``Path``).

    Uses the environment the test asked for; without one, applies ``orq_local``.
    """
    from pytest_orq_mlflow._fixtures import artifacts_dir

    path: Path = artifacts_dir(request)
    return path


# -- real Ray workers (the `ray` extra; see pytest_orq_mlflow.ray_cluster) -------------------

if TYPE_CHECKING:
    from pytest_orq_mlflow.ray_cluster import LocalRayCluster, OrqRayEnvironment, RayOptions


@pytest.fixture(scope="session")
def orq_ray_options() -> RayOptions:
    """The local Ray cluster's settings (session scope; a ``RayOptions``).

    Defaults: 2 CPUs, 0.5 CPU per task (4 tasks at once), idle workers stopped
    after 10 s, a 128 MB object store, workers' output not shown. Override this
    fixture (session scope) in a ``conftest.py`` to change them.
    """
    from pytest_orq_mlflow.ray_cluster import RayOptions

    return RayOptions()


@pytest.fixture(scope="session")
def orq_ray_cluster(orq_ray_options: RayOptions) -> Iterator[LocalRayCluster]:
    """A local Ray cluster, started once per session and shut down at its end (a ``LocalRayCluster``).

    No dashboard, no usage stats, its files in a temporary directory that is
    removed afterwards. Skips the test when Ray is not installed
    (``pip install "orquestra-mlflow[ray]"``). Rarely used directly: see ``orq_ray``.
    """
    from pytest_orq_mlflow.ray_cluster import cluster_fixture

    yield from cluster_fixture(orq_ray_options)


@pytest.fixture
def orq_ray(
    request: pytest.FixtureRequest,
    orq_workspace: FakeWorkspace,
    orq_ray_cluster: LocalRayCluster,
) -> Iterator[OrqRayEnvironment]:
    """Compute Engine on real Ray workers (function scope; an ``OrqRayEnvironment``).

    ``orq_ray.run_task(fn, ...)`` runs ``fn`` as a Ray task in a fresh worker
    process that has the CE platform's variables (given through Ray's runtime
    environment) and reaches this test's ``orq_mlflow`` and resource catalog over
    a loopback proxy; ``orq_ray.worker("reused")`` reproduces worker reuse. Same
    attributes as ``orq_ce``; the test's own process is not changed. Skips without Ray.
    """
    from pytest_orq_mlflow.ray_cluster import ray_environment

    yield from ray_environment(request, orq_workspace, orq_ray_cluster)
