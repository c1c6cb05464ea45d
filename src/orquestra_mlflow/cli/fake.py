"""Running the fake workspace (from :mod:`pytest_orq_mlflow`) for ``sandbox`` and ``demo``.

Everything the fake writes (config file, passport files, artifacts, MLflow's
temporary files) lives under one temporary directory, removed by
:meth:`FakeSession.close`; nothing lands in the user's home or working
directory.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_orq_mlflow.environments import EnvironmentSetup
    from pytest_orq_mlflow.workspace import FakeWorkspace

KINDS = ("local", "studio", "ce")
DESCRIPTIONS = {
    "local": "a laptop after `orq login`",
    "studio": "an Orquestra Studio session",
    "ce": "a Compute Engine task on a fresh worker",
}
WORKSPACE_ID = "demo-ws"
CONFIG_NAME = "sandbox"
USER = "you@example.com"


@dataclass
class Prepared:
    """One environment of the fake workspace: its directory, setup and variables."""

    kind: str
    root: Path
    setup: EnvironmentSetup


class FakeSession:
    """A fake workspace served over loopback, with its temporary directory."""

    def __init__(self, port: int = 0, prefix: str = "orq-mlflow-") -> None:
        from pytest_orq_mlflow.workspace import FakeWorkspace

        self.root = Path(tempfile.mkdtemp(prefix=prefix))
        self.workspace: FakeWorkspace = FakeWorkspace(
            workspace_id=WORKSPACE_ID,
            namespace=f"{WORKSPACE_ID}-ns",
            config_name=CONFIG_NAME,
            user=USER,
        )
        try:
            self.workspace.start("loopback", port=port)
        except BaseException:
            shutil.rmtree(self.root, ignore_errors=True)
            raise

    @property
    def url(self) -> str:
        """The loopback server's ``http://127.0.0.1:<port>``."""
        return str(self.workspace.url)

    def prepare(self, kind: str) -> Prepared:
        """Write environment ``kind``'s files under :attr:`root`; a fresh token is issued for it."""
        from pytest_orq_mlflow.sandbox import Sandbox

        root = self.root / kind
        sandbox = Sandbox(root)
        for directory in (sandbox.home, sandbox.work_dir, root / "tmp"):
            directory.mkdir(parents=True, exist_ok=True)
        return Prepared(kind, root, self.workspace.prepare(kind, sandbox))

    def close(self) -> None:
        """Stop serving and delete every file (idempotent)."""
        try:
            self.workspace.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@contextmanager
def fake_session(port: int = 0, prefix: str = "orq-mlflow-") -> Iterator[FakeSession]:
    """A :class:`FakeSession`, closed on exit, on Ctrl-C and on SIGTERM alike."""
    with _signals_as_interrupt():
        session = FakeSession(port, prefix)
        try:
            yield session
        finally:
            session.close()


@contextmanager
def _signals_as_interrupt() -> Iterator[None]:
    """SIGTERM and SIGINT raise :class:`KeyboardInterrupt`, even where the shell ignored SIGINT."""

    def interrupt(signum: int, frame: FrameType | None) -> Any:
        raise KeyboardInterrupt

    previous: dict[int, Any] = {}
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, interrupt)
    except ValueError:  # not the main thread: leave signals alone
        pass
    try:
        yield
    finally:
        for sig_number, handler in previous.items():
            signal.signal(sig_number, handler)


def address_in_use(exc: BaseException) -> bool:
    """``True`` for the error of binding a port that is taken."""
    import errno

    return isinstance(exc, OSError) and exc.errno in (errno.EADDRINUSE, errno.EACCES)


def base_environ() -> dict[str, str]:
    """The few variables of this machine that a fresh process keeps (``PATH``, locale, venv)."""
    names = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "SYSTEMROOT", "VIRTUAL_ENV", "PYTHONPATH")
    return {name: os.environ[name] for name in names if name in os.environ}
