"""How the simulated platform runs a task: ``run_task`` and simulated workers.

Four ways, one class (:class:`Worker`):

``"session"``
    Studio and local: the task runs in the test's process as it is (it sees
    what the test set), in the session's working directory inside the sandbox.
    Afterwards the test's process state is restored.
``"fresh"``
    Compute Engine (the default there): a new Ray worker process per call. The
    task starts from the platform's variables only (plus the harness's), with
    MLflow's globals at their initial values and a fresh working directory in the
    sandbox; nothing the test or an earlier task set is visible. Afterwards the
    test's process state is restored.
``"reused"``
    The footnote of the guide: Ray reusing one worker process for several tasks.
    Starts like ``"fresh"``; what a task leaves behind (variables, MLflow's global
    tracking URI, active experiment and runs) is visible to the next task run on
    the same :class:`Worker`. The test's own state is restored after every call.
``"in_process"``
    The ``in_process`` runtime: the task runs in the test's process and what it
    changes stays changed (the fixture's teardown restores it at the end of the
    test). Only the working directory is switched to the sandbox for the call.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Literal, ParamSpec, TypeVar

from .isolation import MlflowState, ProcessState

P = ParamSpec("P")
T = TypeVar("T")

WorkerMode = Literal["session", "fresh", "reused", "in_process"]
WORKER_MODES: tuple[str, ...] = ("session", "fresh", "reused", "in_process")


class Worker:
    """A simulated process that runs tasks (see the module docs for the modes).

    Args:
        mode: ``"session"``, ``"fresh"``, ``"reused"`` or ``"in_process"``.
        platform_environ: builds the complete ``os.environ`` of a new worker process.
        new_workdir: makes a new working directory for a worker process.
        session_workdir: the working directory of ``"session"`` and ``"in_process"`` tasks.
    """

    def __init__(
        self,
        mode: WorkerMode,
        *,
        platform_environ: Callable[[], dict[str, str]],
        new_workdir: Callable[[], str],
        session_workdir: str,
    ) -> None:
        if mode not in WORKER_MODES:
            raise ValueError(
                f"Unknown worker mode {mode!r}; choose one of {', '.join(WORKER_MODES)}."
            )
        self.mode: WorkerMode = mode
        self._platform_environ = platform_environ
        self._new_workdir = new_workdir
        self._session_workdir = session_workdir
        self._state: ProcessState | None = None
        #: How many tasks this worker has run.
        self.tasks_run = 0

    def __repr__(self) -> str:
        return f"Worker(mode={self.mode!r}, tasks_run={self.tasks_run})"

    def _new_process_state(self) -> ProcessState:
        return ProcessState(
            environ=self._platform_environ(), cwd=self._new_workdir(), mlflow=MlflowState()
        )

    def run_task(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Call ``fn(*args, **kwargs)`` the way this worker would, and return its result.

        Exceptions of ``fn`` propagate unchanged, after the test's state is restored.
        """
        self.tasks_run += 1
        if self.mode == "in_process":
            cwd = os.getcwd()
            os.chdir(self._session_workdir)
            try:
                return fn(*args, **kwargs)
            finally:
                os.chdir(cwd)
        caller = ProcessState.capture()
        if self.mode == "session":
            task_state: ProcessState | None = None
            os.chdir(self._session_workdir)
        elif self.mode == "reused" and self._state is not None:
            task_state = self._state
        else:
            task_state = self._new_process_state()
        try:
            if task_state is not None:
                task_state.restore()
            return fn(*args, **kwargs)
        finally:
            if self.mode == "reused":
                self._state = ProcessState.capture()
            caller.restore()
