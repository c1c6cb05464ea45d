"""A fake Orquestra workspace: tracking server, resource catalog, transport, environments.

Usable without pytest. The pytest plugin builds one per session and resets it
for every test; ``orq-mlflow sandbox``/``demo`` can drive one over a loopback
transport with subprocesses::

    from pytest_orq_mlflow.workspace import FakeWorkspace

    with FakeWorkspace(workspace_id="ws-demo").start(transport="loopback") as ws:
        env = ws.subprocess_env("ce", "/tmp/sandbox-ce")   # writes passport, artifacts dir
        subprocess.run([sys.executable, "train.py"], env=env, check=True)
        print(ws.server.only_run().params)

Over the loopback transport, a local process's config points at the
transport's own ``http://127.0.0.1:<port>`` (no proxy needed); Studio and CE
processes get ``HTTP_PROXY`` so the cluster-local host names
(``http://mlflow.<namespace>:8080``, the resource catalog) reach the fakes.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from orquestra_mlflow.catalog import CATALOG_URL

from .catalog import FakeCatalog
from .environments import EnvironmentSetup, OrqSettings, spec_for
from .http import Mounts
from .isolation import HARNESS_VARIABLES, scrubbed
from .sandbox import Sandbox

if TYPE_CHECKING:
    from .fakeserver import FakeTrackingServer

TransportName = Literal["in-process", "loopback"]


#: Proxy variables: removed from a subprocess's base environment before the fake's are set.
PROXY_VARIABLES = (
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
)


class FakeWorkspace:
    """One simulated Orquestra workspace and everything needed to talk to it.

    Args:
        settings: the :class:`OrqSettings`; keyword ``overrides`` replace its fields
            (``FakeWorkspace(workspace_id="ws-demo")``).

    Attributes:
        settings: the settings in use.
        server: the :class:`~pytest_orq_mlflow.fakeserver.FakeTrackingServer`.
        catalog: the :class:`~pytest_orq_mlflow.catalog.FakeCatalog`.
        mounts: the :class:`~pytest_orq_mlflow.http.Mounts` table serving both.
        transport: the running transport, or ``None`` when stopped.
    """

    def __init__(self, settings: OrqSettings | None = None, **overrides: Any) -> None:
        from .fakeserver import FakeTrackingServer

        base = settings if settings is not None else OrqSettings()
        self.settings: OrqSettings = replace(base, **overrides) if overrides else base
        self.server: FakeTrackingServer = FakeTrackingServer()
        self.catalog = FakeCatalog(self._namespaces())
        self.mounts = Mounts()
        self.mounts.mount(self.settings.local_tracking_uri(), self.server)
        self.mounts.mount(self.settings.remote_tracking_uri, self.server)
        self.mounts.mount(CATALOG_URL, self.catalog)
        self.transport: Any = None
        self.transport_name: TransportName | None = None
        self._self_mount: str | None = None

    def __repr__(self) -> str:
        return (
            f"FakeWorkspace(workspace_id={self.settings.workspace_id!r}, "
            f"transport={self.transport_name!r})"
        )

    def _namespaces(self) -> dict[str, str]:
        namespaces = dict(self.settings.other_workspaces)
        namespaces[self.settings.workspace_id] = self.settings.namespace
        return namespaces

    # -- life cycle ---------------------------------------------------------------------------

    def start(self, transport: TransportName = "in-process", *, port: int = 0) -> FakeWorkspace:
        """Start serving; returns ``self``.

        ``"in-process"``: this process's ``requests`` calls to the fake URLs are
        answered in memory (through ``responses``). ``"loopback"``: a real HTTP
        server and proxy on ``127.0.0.1`` (see :attr:`url`), for subprocesses, on
        ``port`` (``0``: any free port).
        """
        if self.transport is not None:
            raise RuntimeError(f"{self!r} is already started; stop() it first.")
        if transport == "in-process":
            from .transports import InProcessTransport

            self.transport = InProcessTransport(self.mounts).start()
            self.catalog.real_timeouts = False
        elif transport == "loopback":
            from .transports import LoopbackTransport

            loopback = LoopbackTransport(self.mounts, port=port).start()
            self.transport = loopback
            self._self_mount = loopback.mount_self(
                self.server, f"mlflow/{self.settings.workspace_id}"
            )
            self.catalog.real_timeouts = True
        else:
            raise ValueError(f"Unknown transport {transport!r}; use 'in-process' or 'loopback'.")
        self.transport_name = transport
        return self

    def stop(self) -> None:
        """Stop serving (idempotent)."""
        if self._self_mount is not None:
            self.mounts.unmount(self._self_mount)
            self._self_mount = None
        if self.transport is not None:
            self.transport.stop()
        self.transport = None
        self.transport_name = None

    def __enter__(self) -> FakeWorkspace:
        if self.transport is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget runs, recorded requests and issued tokens; the catalog answers normally again."""
        self.server.reset()
        for token in self.server.accepted_tokens:
            self.server.revoke_token(token)
        self.catalog.reset()
        self.catalog.namespaces = self._namespaces()

    # -- addresses ----------------------------------------------------------------------------

    @property
    def url(self) -> str | None:
        """The loopback transport's ``http://127.0.0.1:<port>``, or ``None``."""
        return self.transport.url if self.transport_name == "loopback" else None

    @property
    def cluster_uri(self) -> str:
        """The cluster URI a local config holds: the loopback URL, else ``https://{cluster}``."""
        return self.url or self.settings.cluster_uri

    def tracking_uri(self, kind: str) -> str:
        """What ``get_tracking_uri(workspace_id, config_name)`` answers in environment ``kind``."""
        if spec_for(kind).remote:
            return self.settings.remote_tracking_uri
        return self.settings.local_tracking_uri(self.cluster_uri)

    @property
    def proxy_env(self) -> dict[str, str]:
        """``HTTP_PROXY`` and friends routing a subprocess to the fakes (loopback only; else ``{}``)."""
        return dict(self.transport.proxy_env) if self.transport_name == "loopback" else {}

    # -- tokens -------------------------------------------------------------------------------

    def issue_token(self, *, expires_in: float = 3600) -> str:
        """A new JWT for the simulated user, accepted by the tracking server and the catalog."""
        from .jwt_tokens import make_token

        token = make_token(self.settings.user, expires_in=expires_in)
        self.server.accept_token(token)
        self.catalog.accept_token(token)
        return token

    def revoke_token(self, token: str) -> None:
        """Make the tracking server and the catalog refuse ``token``."""
        self.server.revoke_token(token)
        self.catalog.revoke_token(token)

    # -- environments -------------------------------------------------------------------------

    def prepare(self, kind: str, sandbox: Sandbox) -> EnvironmentSetup:
        """Write the files environment ``kind`` needs into ``sandbox``; describe its variables.

        Issues a fresh token (accepted by the server and the catalog). Local: a
        config file in the sandboxed home. Studio/CE: a passport file and an
        artifacts directory. The variables include ``HOME`` and the harness's
        (:data:`~pytest_orq_mlflow.isolation.HARNESS_VARIABLES`), and over the
        loopback transport the proxy variables a remote process needs.
        """
        spec = spec_for(kind)
        settings = self.settings
        token = self.issue_token()
        variables = {"HOME": str(sandbox.home), **HARNESS_VARIABLES}
        if spec.remote:
            passport = sandbox.write_passport(token)
            sandbox.remote_artifacts_dir.mkdir(parents=True, exist_ok=True)
            variables.update(
                {
                    "ORQ_CURRENT_CLUSTER": settings.cluster,
                    "ORQ_CURRENT_WORKSPACE": settings.workspace_id,
                    "ORQ_CURRENT_PROJECT": settings.project,
                    "ORQ_CURRENT_USER": settings.user,
                    "ORQUESTRA_PASSPORT_FILE": str(passport),
                    "ORQ_MLFLOW_CR_NAME": settings.cr_name,
                    "ORQ_MLFLOW_PORT": str(settings.port),
                    "ORQ_MLFLOW_ARTIFACTS_DIR": str(sandbox.remote_artifacts_dir),
                }
            )
            variables.update(self.proxy_env)
            artifacts_dir = sandbox.remote_artifacts_dir
            token_file = passport
            config_name = None
        else:
            token_file = sandbox.write_config(settings.config_name, self.cluster_uri, token)
            artifacts_dir = sandbox.default_artifacts_dir
            config_name = settings.config_name
            if self.transport_name == "loopback":
                variables.update(
                    {"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
                )
        return EnvironmentSetup(
            spec=spec,
            variables=variables,
            token=token,
            tracking_uri=self.tracking_uri(kind),
            artifacts_dir=artifacts_dir,
            sandbox=sandbox,
            config_name=config_name,
            token_file=token_file,
            cluster_uri=self.cluster_uri,
        )

    def environment_variables(
        self, kind: str, sandbox_dir: str | os.PathLike[str]
    ) -> dict[str, str]:
        """Write environment ``kind``'s files under ``sandbox_dir``; return the variables it sets.

        Merge them into a scrubbed environment (see :meth:`subprocess_env`), or
        pass them to a subprocess yourself.
        """
        sandbox = Sandbox(Path(sandbox_dir))
        sandbox.home.mkdir(parents=True, exist_ok=True)
        sandbox.work_dir.mkdir(parents=True, exist_ok=True)
        return self.prepare(kind, sandbox).variables

    def subprocess_env(
        self,
        kind: str,
        sandbox_dir: str | os.PathLike[str],
        base: dict[str, str] | None = None,
    ) -> dict[str, str]:
        """A complete environment for a subprocess of kind ``kind``.

        ``base`` (default ``os.environ``) without ``ORQ_*``, ``ORQUESTRA_*``,
        ``MLFLOW_*`` and proxy variables, plus :meth:`environment_variables`.
        """
        environ = scrubbed(dict(os.environ if base is None else base))
        for name in PROXY_VARIABLES:
            environ.pop(name, None)
        environ.update(self.environment_variables(kind, sandbox_dir))
        return environ
