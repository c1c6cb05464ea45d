"""Shared helpers of the CLI tests: run ``orq-mlflow`` as a subprocess in a simulated environment.

A module-scoped :class:`~pytest_orq_mlflow.workspace.FakeWorkspace` serves the
fake tracking server and resource catalog over the loopback transport, so the
``orq-mlflow`` subprocesses reach them over real HTTP (Studio and CE through
the transport's HTTP proxy). :func:`cli_env` prepares one environment
(``local``, ``studio`` or ``ce``) in ``tmp_path``: the files and variables
the workspace gives that kind, on top of the test's environment scrubbed of
``ORQ_*``/``MLFLOW_*``/proxy variables.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

KINDS = ("local", "studio", "ce")


@dataclass
class CliResult:
    """What one ``orq-mlflow`` run printed, and its exit status."""

    args: tuple[str, ...]
    status: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        """stdout and stderr together."""
        return self.stdout + self.stderr

    def __str__(self) -> str:
        return (
            f"orq-mlflow {' '.join(self.args)} -> {self.status}\n"
            f"--- stdout\n{self.stdout}--- stderr\n{self.stderr}"
        )


@dataclass
class CliEnv:
    """One simulated environment for ``orq-mlflow`` subprocesses."""

    kind: str
    environ: dict[str, str]
    token: str
    workspace_id: str
    tracking_uri: str
    config_name: str | None
    user: str
    root: Path
    workspace: Any
    outputs: list[CliResult] = field(default_factory=list)

    @property
    def remote(self) -> bool:
        """Studio or CE."""
        return self.kind != "local"

    @property
    def config_args(self) -> list[str]:
        """``["--config", NAME]`` locally, ``[]`` remotely."""
        return ["--config", self.config_name] if self.config_name else []

    def run(
        self, *args: str, extra_env: Mapping[str, str] | None = None, timeout: float = 30
    ) -> CliResult:
        """Run ``orq-mlflow *args`` here; the result is also kept in :attr:`outputs`."""
        environ = dict(self.environ)
        environ.update(extra_env or {})
        result = run_cli(*args, env=environ, cwd=self.root / "work", timeout=timeout)
        self.outputs.append(result)
        return result


def run_cli(
    *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None, timeout: float = 30
) -> CliResult:
    """Run ``python -m orquestra_mlflow *args`` and capture its output."""
    done = subprocess.run(
        [sys.executable, "-m", "orquestra_mlflow", *args],
        env=dict(os.environ if env is None else env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return CliResult(tuple(args), done.returncode, done.stdout, done.stderr)


@pytest.fixture(scope="module")
def loopback_workspace() -> Iterator[Any]:
    """A fake workspace served over loopback for the whole module."""
    from pytest_orq_mlflow.workspace import FakeWorkspace

    workspace = FakeWorkspace(workspace_id="ws-cli", user="cli-user@example.com")
    workspace.start(transport="loopback")
    try:
        yield workspace
    finally:
        workspace.stop()


@pytest.fixture
def make_env(loopback_workspace: Any, tmp_path: Path) -> Callable[[str], CliEnv]:
    """A factory: ``make_env("studio")`` prepares that environment in ``tmp_path``."""
    from orquestra_mlflow import clear_namespace_cache

    loopback_workspace.reset()
    loopback_workspace.catalog.timeout_delay = None
    clear_namespace_cache()

    def make(kind: str) -> CliEnv:
        from pytest_orq_mlflow.sandbox import Sandbox

        root = tmp_path / kind
        sandbox = Sandbox(root)
        sandbox.home.mkdir(parents=True, exist_ok=True)
        sandbox.work_dir.mkdir(parents=True, exist_ok=True)
        setup = loopback_workspace.prepare(kind, sandbox)
        environ = {k: v for k, v in os.environ.items() if not _scrubbed(k)}
        environ.update(setup.variables)
        return CliEnv(
            kind=kind,
            environ=environ,
            token=setup.token,
            workspace_id=loopback_workspace.settings.workspace_id,
            tracking_uri=setup.tracking_uri,
            config_name=setup.config_name,
            user=loopback_workspace.settings.user,
            root=root,
            workspace=loopback_workspace,
        )

    return make


def _scrubbed(name: str) -> bool:
    upper = name.upper()
    return upper.startswith(("ORQ_", "ORQUESTRA_", "MLFLOW_")) or upper in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
    )


@pytest.fixture(params=KINDS)
def cli_env(request: pytest.FixtureRequest, make_env: Callable[[str], CliEnv]) -> CliEnv:
    """Each simulated environment in turn: ``local``, ``studio``, ``ce``."""
    return make_env(request.param)


def assert_no_secret(env: CliEnv, result: CliResult) -> None:
    """Fail if the environment's token (or a recognisable piece of it) is in ``result``'s output."""
    signature = env.token.rsplit(".", 1)[-1]
    for text in (result.stdout, result.stderr):
        assert env.token not in text, f"the token leaked:\n{result}"
        assert signature not in text, f"the token's signature leaked:\n{result}"
