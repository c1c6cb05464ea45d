"""The simulated environments as data, the settings they use, and the handle tests get.

An environment is a small :class:`EnvironmentSpec` (``local``, ``studio``, ``ce``);
one mechanism (:class:`~pytest_orq_mlflow.workspace.FakeWorkspace` preparing the
files and variables, :mod:`pytest_orq_mlflow.isolation` applying and restoring
them) turns any of them into process state. :class:`OrqEnvironment` is the
handle a test receives from ``orq_local``, ``orq_studio``, ``orq_ce`` or
``orq_env``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, ParamSpec, TypeVar

from .tasks import Worker, WorkerMode

if TYPE_CHECKING:
    from .catalog import FailureMode, FakeCatalog
    from .fakeserver import FakeTrackingServer
    from .sandbox import Sandbox
    from .workspace import FakeWorkspace

P = ParamSpec("P")
T = TypeVar("T")

EnvironmentKind = Literal["local", "studio", "ce"]
#: Every simulated environment, in the order ``orq_env`` runs them.
KINDS: tuple[EnvironmentKind, ...] = ("local", "studio", "ce")


@dataclass(frozen=True)
class OrqSettings:
    """What the simulated Orquestra looks like; override the ``orq_settings`` fixture to change it.

    Example (in a ``conftest.py``)::

        @pytest.fixture
        def orq_settings():
            return OrqSettings(workspace_id="my-ws", user="me@example.com")
    """

    workspace_id: str = "ws-test"
    namespace: str = "ws-test-ns"
    cluster: str = "prod-d.orquestra.io"
    config_name: str = "prod-d"
    cr_name: str = "mlflow"
    port: int = 8080
    user: str = "tester@example.com"
    project: str = "project-1"
    #: Other workspaces the resource catalog knows, as ``(workspace_id, namespace)`` pairs.
    other_workspaces: tuple[tuple[str, str], ...] = ()

    @property
    def cluster_uri(self) -> str:
        """The cluster URI that ``orq login`` stores: ``https://{cluster}``."""
        return f"https://{self.cluster}"

    @property
    def remote_tracking_uri(self) -> str:
        """The tracking URI in Studio and CE: ``http://{cr_name}.{namespace}:{port}``."""
        return f"http://{self.cr_name}.{self.namespace}:{self.port}"

    def local_tracking_uri(self, cluster_uri: str | None = None) -> str:
        """The tracking URI locally: ``{cluster URI}/mlflow/{workspace_id}``."""
        return f"{(cluster_uri or self.cluster_uri).rstrip('/')}/mlflow/{self.workspace_id}"


@dataclass(frozen=True)
class EnvironmentSpec:
    """One simulated environment: what the platform provides and how it runs tasks."""

    kind: EnvironmentKind
    #: Studio and CE: ``ORQ_CURRENT_CLUSTER`` and the other platform variables are set.
    remote: bool
    #: How ``run_task`` runs a task by default (see :mod:`pytest_orq_mlflow.tasks`).
    task_mode: WorkerMode
    description: str


ENVIRONMENTS: dict[str, EnvironmentSpec] = {
    "local": EnvironmentSpec(
        "local",
        remote=False,
        task_mode="session",
        description="a developer's machine: a config file written by `orq login`, "
        "no cluster variables",
    ),
    "studio": EnvironmentSpec(
        "studio",
        remote=True,
        task_mode="session",
        description="an Orquestra Studio session: platform variables, a passport file, "
        "globals persist",
    ),
    "ce": EnvironmentSpec(
        "ce",
        remote=True,
        task_mode="fresh",
        description="a Compute Engine task: platform variables, a passport file, "
        "a fresh Ray worker per task",
    ),
}


def spec_for(kind: str) -> EnvironmentSpec:
    """The :class:`EnvironmentSpec` of ``kind``; a ``ValueError`` listing the kinds otherwise."""
    try:
        return ENVIRONMENTS[kind]
    except KeyError:
        raise ValueError(
            f"Unknown Orquestra environment {kind!r}; choose one of {', '.join(KINDS)}."
        ) from None


@dataclass
class EnvironmentSetup:
    """What :meth:`FakeWorkspace.prepare` made for one environment: variables and token."""

    spec: EnvironmentSpec
    #: The variables a process of this environment has (``HOME``, harness and platform ones).
    variables: dict[str, str]
    token: str
    tracking_uri: str
    artifacts_dir: Path
    sandbox: Sandbox
    config_name: str | None
    #: Where the token lives: the config file (local) or the passport file (remote).
    token_file: Path
    cluster_uri: str
    extra_worker_variables: dict[str, str] = field(default_factory=dict)


class OrqEnvironment:
    """A simulated Orquestra environment applied to the test's process.

    Returned by the ``orq_local``, ``orq_studio``, ``orq_ce`` and ``orq_env``
    fixtures. The attributes describe what the library's utilities answer in
    this environment; the methods change the environment so a test can exercise
    failure paths (each undone at the end of the test).

    Attributes:
        kind: ``"local"``, ``"studio"`` or ``"ce"``.
        remote: ``True`` for Studio and CE.
        settings: the :class:`OrqSettings` in use.
        workspace: the :class:`~pytest_orq_mlflow.workspace.FakeWorkspace` behind it.
        sandbox: the :class:`~pytest_orq_mlflow.sandbox.Sandbox` holding its files.
    """

    def __init__(self, workspace: FakeWorkspace, setup: EnvironmentSetup) -> None:
        self.workspace = workspace
        self.settings: OrqSettings = workspace.settings
        self.spec = setup.spec
        self.kind: EnvironmentKind = setup.spec.kind
        self.remote = setup.spec.remote
        self.sandbox = setup.sandbox
        self._setup = setup
        self._variables = dict(setup.variables)
        self._base_environ = {
            name: os.environ[name] for name in _worker_base_names() if name in os.environ
        }

    def __repr__(self) -> str:
        return (
            f"OrqEnvironment(kind={self.kind!r}, workspace_id={self.workspace_id!r}, "
            f"tracking_uri={self.tracking_uri!r}, sandbox={str(self.sandbox.root)!r})"
        )

    # -- what the utilities answer ------------------------------------------------------------

    @property
    def workspace_id(self) -> str:
        """The simulated workspace ID (pass it to ``get_tracking_uri``)."""
        return self.settings.workspace_id

    @property
    def config_name(self) -> str | None:
        """The config name to pass locally (``"prod-d"`` by default); ``None`` in Studio and CE."""
        return self._setup.config_name

    @property
    def token(self) -> str:
        """What ``get_tracking_token(config_name)`` returns now (changes on :meth:`rotate_token`)."""
        return self._setup.token

    @property
    def tracking_uri(self) -> str:
        """What ``get_tracking_uri(workspace_id, config_name)`` returns."""
        return self._setup.tracking_uri

    @property
    def artifacts_dir(self) -> Path:
        """The directory ``get_temp_artifacts_dir()`` returns (inside the sandbox)."""
        return self._setup.artifacts_dir

    @property
    def user(self) -> str:
        """The simulated user (an e-mail): ``ORQ_CURRENT_USER`` remotely, the token's ``email`` claim."""
        return self.settings.user

    @property
    def project(self) -> str:
        """The simulated project ID (``ORQ_CURRENT_PROJECT`` remotely)."""
        return self.settings.project

    @property
    def namespace(self) -> str:
        """The workspace's namespace, as the fake resource catalog tells it."""
        return self.settings.namespace

    @property
    def cluster_uri(self) -> str:
        """The cluster URI of the local config (``https://{cluster}``)."""
        return self._setup.cluster_uri

    @property
    def server(self) -> FakeTrackingServer:
        """The fake tracking server (the same object as the ``orq_mlflow`` fixture)."""
        return self.workspace.server

    @property
    def catalog(self) -> FakeCatalog:
        """The fake resource catalog (answers the namespace look-up in Studio and CE)."""
        return self.workspace.catalog

    @property
    def home(self) -> Path:
        """The sandboxed ``HOME``."""
        return self.sandbox.home

    @property
    def config_path(self) -> Path:
        """The config file (written locally; absent remotely)."""
        return self.sandbox.config_path

    @property
    def passport_path(self) -> Path:
        """The passport file (written in Studio and CE; absent locally)."""
        return self.sandbox.passport_path

    @property
    def variables(self) -> dict[str, str]:
        """The variables this environment sets (``HOME``, harness and platform ones); a copy."""
        return dict(self._variables)

    # -- running tasks ------------------------------------------------------------------------

    def run_task(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Call ``fn(*args, **kwargs)`` the way this environment runs a task; return its result.

        CE: in a fresh simulated Ray worker (only the platform's variables, MLflow's
        globals at their initial values, a fresh working directory in the sandbox).
        Studio and local: in the test's session as it is, in the sandbox's working
        directory. Either way the test's process state is restored afterwards and
        ``fn``'s exception, if any, propagates.
        """
        return self.worker(self.spec.task_mode).run_task(fn, *args, **kwargs)

    def worker(self, mode: WorkerMode = "reused") -> Worker:
        """A simulated worker to run several tasks in (see :mod:`pytest_orq_mlflow.tasks`).

        ``"reused"`` (the default) reproduces the guide's footnote: a Ray worker
        process reused for several tasks, so state one task leaves behind leaks into
        the next. ``"in_process"`` simulates the ``in_process`` runtime; ``"fresh"``
        and ``"session"`` are what :meth:`run_task` uses in CE and in Studio/local.
        """
        return Worker(
            mode,
            platform_environ=self.worker_environ,
            new_workdir=lambda: str(self.sandbox.new_worker_dir()),
            session_workdir=str(self.sandbox.work_dir),
        )

    def worker_environ(self) -> dict[str, str]:
        """The complete ``os.environ`` of a new worker process in this environment."""
        environ = dict(self._base_environ)
        environ.update(self._variables)
        return environ

    # -- changing the environment -------------------------------------------------------------

    def set_variable(self, name: str, value: str) -> None:
        """Set ``name`` in the test's process and in every worker started from now on."""
        self._variables[name] = value
        os.environ[name] = value

    def remove_variable(self, name: str) -> None:
        """Remove ``name`` (for example ``ORQ_MLFLOW_PORT``) from the process and future workers."""
        self._variables.pop(name, None)
        os.environ.pop(name, None)

    def rotate_token(self) -> str:
        """Replace the token (passport or config token) with a new one; return it.

        The tracking server and the catalog accept the new token and refuse the old
        one, as after the platform rotates a passport or the user logs in again.
        """
        old = self.token
        new = self.workspace.issue_token()
        self.workspace.revoke_token(old)
        self._write_token(new)
        return new

    def expire_token(self) -> str:
        """Replace the token with an expired one (``exp`` in the past); return it.

        The tracking server answers 401 ("the token has expired") and the catalog
        401 from now on, as when a passport or login outlives its lifetime.
        """
        from .jwt_tokens import make_token

        self.workspace.revoke_token(self.token)
        expired = make_token(self.user, expires_in=-60)
        self._write_token(expired)
        return expired

    def refuse_catalog(self, status: int = 403) -> None:
        """Make the resource catalog refuse every namespace look-up with ``status`` (401/403/...).

        Also forgets the library's cached namespaces, so the next look-up asks.
        """
        self.catalog.refuse(status)
        self._forget_namespaces()

    def break_catalog(self, mode: FailureMode = "500", *, times: int | None = None) -> None:
        """Make the resource catalog fail: ``"500"``, ``"503"``, ``"timeout"``, ``"garbage"``
        (a body that is not JSON) or ``"no-namespace"`` (JSON without ``namespace``).

        ``times`` limits the failure to the next that many requests (then it answers
        normally again), to test retries. Also forgets the library's cached namespaces.
        """
        self.catalog.fail(mode, times=times)
        self._forget_namespaces()

    def heal_catalog(self) -> None:
        """Undo :meth:`refuse_catalog` and :meth:`break_catalog`."""
        self.catalog.heal()
        self._forget_namespaces()

    def _forget_namespaces(self) -> None:
        from .isolation import clear_namespace_cache

        clear_namespace_cache()

    def _write_token(self, token: str) -> None:
        if self.remote:
            self.sandbox.write_passport(token)
        else:
            self.sandbox.write_config(self.settings.config_name, self.cluster_uri, token)
        self._setup.token = token


def _worker_base_names() -> tuple[str, ...]:
    from .isolation import WORKER_BASE_VARIABLES

    return WORKER_BASE_VARIABLES
