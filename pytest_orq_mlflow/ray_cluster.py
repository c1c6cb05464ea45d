"""Run tasks on real Ray workers against the fake workspace: what the ``orq_ray`` fixture uses.

The in-process ``orq_ce`` *simulates* a Compute Engine worker. ``orq_ray``
runs the task on the real thing: a local Ray cluster (started once per test
session), whose worker processes reach the test's fake tracking server and
fake resource catalog over a loopback HTTP server that is also their HTTP
proxy. The pieces:

:class:`RayOptions`
    How big the cluster is and how tasks are scheduled (override the
    session-scoped ``orq_ray_options`` fixture to change it).
:class:`LocalRayCluster`
    ``ray.init`` with few CPUs, no dashboard, no usage stats, a short temporary
    directory, and an environment without ``ORQ_*``, ``ORQUESTRA_*``,
    ``MLFLOW_*`` and proxy variables (worker processes inherit it);
    ``ray.shutdown`` and removal of the directory at the end.
:class:`OrqRayEnvironment`
    The handle a test gets: an :class:`~pytest_orq_mlflow.environments.OrqEnvironment`
    of kind ``"ce"`` (same attributes and methods as ``orq_ce``) whose
    ``run_task`` submits the task to Ray. The CE platform variables reach the
    workers through Ray's runtime environment (``runtime_env={"env_vars": ...}``).
:class:`RayWorker`
    A group of Ray worker processes with one scheduling key, in mode
    ``"fresh"`` (a new process per task: ``@ray.remote(max_calls=1)``) or
    ``"reused"`` (Ray reuses the idle process for the next task, the accident of
    the guide's footnote).

Ray is imported only when a cluster starts; this module is importable (and is
imported by the worker processes) without pytest and without mlflow.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import secrets
import shutil
import sys
import sysconfig
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Generic, Literal, ParamSpec, TypeVar

from .environments import EnvironmentSetup, OrqEnvironment
from .workspace import PROXY_VARIABLES

if TYPE_CHECKING:
    import pytest

    from .sandbox import Sandbox
    from .transports import LoopbackTransport
    from .workspace import FakeWorkspace

P = ParamSpec("P")
T = TypeVar("T")
A = TypeVar("A")

#: The optional extra that installs Ray.
RAY_EXTRA = "ray"
#: How to install it.
INSTALL_HINT = 'pip install "orquestra-mlflow[ray]"'
#: Why a test that needs Ray is skipped when Ray is missing.
SKIP_REASON = (
    f"Ray is not installed: the orq_ray fixture runs tasks on real Ray workers and needs "
    f"the `{RAY_EXTRA}` extra ({INSTALL_HINT})"
)

#: The modes of a :class:`RayWorker`.
RayWorkerMode = Literal["fresh", "reused"]
RAY_WORKER_MODES: tuple[str, ...] = ("fresh", "reused")

#: Set in every worker's runtime environment: the scheduling key of its :class:`RayWorker`.
#: Ray gives each distinct runtime environment its own worker processes, so tasks of
#: different tests (and of different ``RayWorker`` objects) never share a process.
POOL_VARIABLE = "PYTEST_ORQ_RAY_WORKER"

#: Variables set in the cluster's environment: Ray never reports usage stats to the internet.
_CLUSTER_VARIABLES = {"RAY_USAGE_STATS_ENABLED": "0"}
#: Ray's sockets live under the temporary directory; a Unix socket path has ~107 bytes.
_MAX_TEMP_PARENT = 40


def ray_available() -> bool:
    """Whether Ray can be imported (without importing it)."""
    import importlib.util

    return importlib.util.find_spec("ray") is not None


# -- the cluster -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RayOptions:
    """The local Ray cluster of a test session; override the ``orq_ray_options`` fixture.

    Example (in a ``conftest.py``)::

        @pytest.fixture(scope="session")
        def orq_ray_options():
            return RayOptions(num_cpus=4, task_num_cpus=1)
    """

    #: CPUs the cluster offers (Ray starts about this many idle workers at most).
    num_cpus: int = 2
    #: CPUs each task asks for; ``0.5`` on 2 CPUs runs 4 tasks at once.
    task_num_cpus: float = 0.5
    #: Seconds an idle worker (beyond ``num_cpus`` of them) lives before Ray stops it.
    #: A ``"reused"`` worker idle for longer may be replaced (then ``run_task`` fails loudly).
    idle_worker_timeout: float = 10.0
    #: Bytes of Ray's object store (task arguments and results live there).
    object_store_memory: int = 128 * 1024 * 1024
    #: Show the workers' stdout/stderr in the test's output (off: tests stay quiet).
    log_to_driver: bool = False
    #: Seconds ``run_task`` waits for a task before failing (``None``: forever).
    task_timeout: float | None = 120.0


class LocalRayCluster:
    """A local Ray cluster for the test session (or the one this process already runs).

    :meth:`start` calls ``ray.init`` unless Ray is already initialised in this
    process (for example by an outer pytest session running ``pytester``, or by
    the user), in which case it attaches to it and :meth:`stop` leaves it alone.
    """

    def __init__(self, options: RayOptions | None = None) -> None:
        self.options = options if options is not None else RayOptions()
        #: Whether :meth:`start` called ``ray.init`` (and :meth:`stop` shuts it down).
        self.started_here = False
        #: Seconds ``ray.init`` took (``0.0`` when attached to a running cluster).
        self.start_seconds = 0.0
        #: Ray's temporary directory (sessions, sockets, logs), removed by :meth:`stop`.
        self.temp_dir: Path | None = None
        self._remote_fresh: Any = None
        self._remote_reused: Any = None
        self._lock = threading.Lock()
        self._by_value: set[str] = set()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return (
            f"LocalRayCluster({state}, num_cpus={self.options.num_cpus}, "
            f"started_here={self.started_here}, temp_dir={str(self.temp_dir)!r})"
        )

    @property
    def running(self) -> bool:
        """Whether Ray is initialised in this process."""
        ray = sys.modules.get("ray")
        return ray is not None and bool(ray.is_initialized())

    def start(self) -> LocalRayCluster:
        """Start (or attach to) the cluster; returns ``self``."""
        import ray

        if ray.is_initialized():
            self.started_here = False
        else:
            self.temp_dir = Path(tempfile.mkdtemp(prefix="orq-ray-", dir=_short_temp_parent()))
            options = self.options
            saved = dict(os.environ)
            environ = {k: v for k, v in os.environ.items() if not _scrubbed_for_cluster(k)}
            environ.update(_CLUSTER_VARIABLES)
            # Ray's token authentication, with a token of this cluster's own in the
            # environment: no ~/.ray/auth_token is written, and workers whose HOME is
            # the sandbox still authenticate (they inherit the variable from the raylet).
            environ["RAY_AUTH_TOKEN"] = secrets.token_hex(32)
            began = time.perf_counter()
            try:
                _replace_environ(environ)
                ray.init(
                    num_cpus=options.num_cpus,
                    include_dashboard=False,
                    log_to_driver=options.log_to_driver,
                    configure_logging=False,
                    object_store_memory=options.object_store_memory,
                    _temp_dir=str(self.temp_dir),
                    _system_config={
                        "idle_worker_killing_time_threshold_ms": int(
                            options.idle_worker_timeout * 1000
                        )
                    },
                )
            except BaseException:
                shutil.rmtree(self.temp_dir, ignore_errors=True)
                self.temp_dir = None
                raise
            finally:
                _replace_environ(saved)
            self.start_seconds = time.perf_counter() - began
            self.started_here = True
        self._remote_fresh = ray.remote(max_calls=1)(_run_in_worker)
        self._remote_reused = ray.remote(_run_in_worker)
        return self

    def stop(self) -> None:
        """Shut the cluster down and remove its directory (only if :meth:`start` started it)."""
        self._remote_fresh = self._remote_reused = None
        if not self.started_here:
            return
        import ray

        try:
            ray.shutdown()
        finally:
            self.started_here = False
            if self.temp_dir is not None:
                shutil.rmtree(self.temp_dir, ignore_errors=True)
                self.temp_dir = None

    def remote_function(self, mode: RayWorkerMode) -> Any:
        """The Ray remote function that runs a task in ``mode`` (``max_calls=1`` when fresh)."""
        remote = self._remote_fresh if mode == "fresh" else self._remote_reused
        if remote is None:
            raise RuntimeError(f"{self!r} is not started; start() it first.")
        return remote

    def pickle_by_value(self, *modules: ModuleType) -> None:
        """Send the functions and classes of ``modules`` to the workers by value.

        Ray pickles a task's function *by reference* (module and name) when its
        module looks importable; a worker then imports that module. Test modules
        (imported by pytest with ``--import-mode=importlib``, or from a directory
        the workers do not have on ``sys.path``) cannot be imported there.
        """
        import ray.cloudpickle

        with self._lock:
            for module in modules:
                if module.__name__ in self._by_value:
                    continue
                ray.cloudpickle.register_pickle_by_value(module)  # type: ignore[no-untyped-call]
                self._by_value.add(module.__name__)


def _short_temp_parent() -> str | None:
    parent = tempfile.gettempdir()
    if len(parent) <= _MAX_TEMP_PARENT:
        return parent
    return "/tmp" if os.path.isdir("/tmp") else parent


def _scrubbed_for_cluster(name: str) -> bool:
    from .isolation import is_scrubbed

    return is_scrubbed(name) or name in PROXY_VARIABLES


def _replace_environ(target: dict[str, str]) -> None:
    from .isolation import replace_environ

    replace_environ(target)


_shared_lock = threading.Lock()
_shared: LocalRayCluster | None = None
_shared_users = 0


@contextlib.contextmanager
def shared_cluster(options: RayOptions | None = None) -> Iterator[LocalRayCluster]:
    """The process's cluster for the duration of the block; started by the outermost user.

    Nested users (a ``pytester`` session inside a pytest session) get the same
    cluster; the outermost one shuts it down on exit.
    """
    global _shared, _shared_users
    with _shared_lock:
        if _shared is None or not _shared.running:
            _shared = LocalRayCluster(options).start()
        cluster = _shared
        _shared_users += 1
    try:
        yield cluster
    finally:
        with _shared_lock:
            _shared_users -= 1
            if _shared_users == 0:
                _shared = None
                cluster.stop()


# -- running tasks ---------------------------------------------------------------------------

#: In a worker process: its working directory (made on its first task), or ``None``.
_worker_dir: str | None = None


def _run_in_worker(
    fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], workers_dir: str
) -> tuple[int, Any]:
    """The Ray task: call ``fn`` in this worker process; return ``(pid, result)``.

    On the first task of a process, changes into a new directory of its own
    under ``workers_dir`` (in the test's sandbox), so files a task writes to
    its working directory never land in the user's checkout.
    """
    global _worker_dir
    if _worker_dir is None:
        path = Path(workers_dir) / f"ray-{os.getpid()}"
        path.mkdir(parents=True, exist_ok=True)
        os.chdir(path)
        _worker_dir = str(path)
    return os.getpid(), fn(*args, **kwargs)


class RayWorkerReuseError(RuntimeError):
    """A ``"reused"`` :class:`RayWorker` ran a task in a different process than the one before."""


class RayTask(Generic[T]):
    """One task submitted to Ray (from :meth:`RayWorker.submit`); :meth:`result` waits for it."""

    def __init__(self, worker: RayWorker, ref: Any, name: str) -> None:
        self.worker = worker
        self.ref = ref
        self.name = name
        #: The worker process that ran it (known once :meth:`result` returned).
        self.pid: int | None = None
        self._done = False
        self._value: Any = None

    def __repr__(self) -> str:
        return f"RayTask({self.name}, pid={self.pid})"

    def done(self) -> bool:
        """Whether the task has finished (without waiting)."""
        if self._done:
            return True
        import ray

        ready, _ = ray.wait([self.ref], timeout=0)
        return bool(ready)

    def result(self, timeout: float | None = None) -> T:
        """Wait for the task and return its result; re-raise the task's exception unchanged.

        ``timeout`` (seconds; default: the cluster's ``task_timeout``) ends the
        wait with ``ray.exceptions.GetTimeoutError`` and cancels the task.
        """
        if self._done:
            value: T = self._value
            return value
        import ray

        if timeout is None:
            timeout = self.worker.options.task_timeout
        try:
            pid, result = ray.get(self.ref, timeout=timeout)
        except ray.exceptions.GetTimeoutError:
            self.worker._finished(self)
            ray.cancel(self.ref, force=True)
            raise
        except ray.exceptions.RayTaskError as error:
            self.worker._finished(self)
            cause = getattr(error, "cause", None)
            if isinstance(cause, BaseException):
                # The task's own exception, as the in-process simulation raises it; the
                # Ray error (with the worker's traceback) is chained as its cause.
                raise cause from error
            raise
        except BaseException:
            self.worker._finished(self)
            raise
        self.pid, self._value, self._done = pid, result, True
        self.worker._finished(self)
        return result  # type: ignore[no-any-return]


class RayWorker:
    """Worker processes of a local Ray cluster that run a test's tasks.

    ``"fresh"``: every task runs in a new Ray worker process
    (``@ray.remote(max_calls=1)``): it sees only the platform's variables (and
    what the cluster started with), and nothing an earlier task left behind.

    ``"reused"``: tasks run in Ray's pooled worker processes. Consecutive
    :meth:`run_task` calls run in the *same* process, as when Ray reuses a
    worker for tasks with identical options (the guide's footnote): variables,
    MLflow's globals and the working directory that one task leaves behind are
    seen by the next. :meth:`run_task` checks it and raises
    :class:`RayWorkerReuseError` if Ray used another process. Tasks submitted
    at once (:meth:`map`, :meth:`submit`) spread over several such processes.

    Each ``RayWorker`` has its own scheduling key (a runtime-environment
    variable), so its processes serve no other ``RayWorker`` and no other test.
    """

    def __init__(self, env: OrqRayEnvironment, mode: RayWorkerMode) -> None:
        if mode not in RAY_WORKER_MODES:
            hint = (
                " The in-process modes are offered by orq_ce.worker(...)."
                if mode in ("session", "in_process")
                else ""
            )
            raise ValueError(
                f"Unknown Ray worker mode {mode!r}; choose one of "
                f"{', '.join(RAY_WORKER_MODES)}.{hint}"
            )
        self.mode: RayWorkerMode = mode
        self.env = env
        self.options = env.cluster.options
        self.key = f"{env.key}-{next(_worker_numbers)}"
        #: How many tasks were submitted to this worker.
        self.tasks_run = 0
        #: The process ID of every finished task, in the order they finished.
        self.pids: list[int] = []
        self._in_flight: set[RayTask[Any]] = set()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RayWorker(mode={self.mode!r}, tasks_run={self.tasks_run}, pids={self.pids})"

    @property
    def processes(self) -> list[int]:
        """The distinct worker processes that ran this worker's tasks, in order of first use."""
        return list(dict.fromkeys(self.pids))

    def submit(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> RayTask[T]:
        """Submit ``fn(*args, **kwargs)`` as a Ray task and return at once; see :class:`RayTask`."""
        self.env._check_open()
        self.env._ship(fn)
        remote = self.env.cluster.remote_function(self.mode)
        runtime_env = {"env_vars": self.env.worker_variables(self.key)}
        ref = remote.options(
            num_cpus=self.options.task_num_cpus,
            runtime_env=runtime_env,
            name=_task_name(fn),
        ).remote(fn, args, kwargs, str(self.env.workers_dir))
        task: RayTask[T] = RayTask(self, ref, _task_name(fn))
        with self._lock:
            self.tasks_run += 1
            self._in_flight.add(task)
        self.env._track(task)
        return task

    def run_task(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn(*args, **kwargs)`` as a Ray task on this worker; return its result.

        The task's exception, if any, is raised unchanged (the Ray error with
        the worker's traceback is its ``__cause__``).
        """
        with self._lock:
            previous = self.pids[-1] if self.pids and not self._in_flight else None
        task = self.submit(fn, *args, **kwargs)
        result = task.result()
        if self.mode == "reused" and previous is not None and task.pid != previous:
            raise RayWorkerReuseError(
                f"Asked for a reused Ray worker, but Ray ran {task.name} in process "
                f"{task.pid}, not in {previous} that ran the task before. Ray stops a worker "
                f"idle for more than {self.options.idle_worker_timeout:g} s (RayOptions."
                f"idle_worker_timeout), and starts another one when the worker's variables "
                f"changed (set_variable/remove_variable)."
            )
        return result

    def map(self, fn: Callable[[A], T], items: Iterable[A]) -> list[T]:
        """Run ``fn(item)`` for every item as concurrent Ray tasks; the results, in order.

        All tasks are submitted before the first result is awaited; the first
        failing task's exception is raised (after all tasks finished).
        """
        tasks = [self.submit(fn, item) for item in items]
        results: list[T] = []
        failure: BaseException | None = None
        for task in tasks:
            try:
                results.append(task.result())
            except Exception as exc:
                if failure is None:
                    failure = exc
        if failure is not None:
            raise failure
        return results

    def _finished(self, task: RayTask[Any]) -> None:
        with self._lock:
            self._in_flight.discard(task)
            if task.pid is not None:
                self.pids.append(task.pid)
        self.env._untrack(task)


_worker_numbers = itertools.count(1)


def _task_name(fn: Callable[..., Any]) -> str:
    target = fn.func if isinstance(fn, functools.partial) else fn
    return str(getattr(target, "__qualname__", None) or getattr(target, "__name__", repr(target)))


# -- the environment handle ------------------------------------------------------------------


class OrqRayEnvironment(OrqEnvironment):
    """A Compute Engine environment whose tasks run on real Ray workers (the ``orq_ray`` fixture).

    The attributes and methods of ``orq_ce`` (``workspace_id``, ``tracking_uri``,
    ``token``, ``server``, ``catalog``, ``rotate_token()``, ``break_catalog()``,
    ``set_variable()``...) describe and change the simulated platform the
    *workers* see; the test's own process is left as it is (it is the driver,
    not a CE task). :meth:`run_task` submits the task to Ray in a fresh worker
    process, as ``orq_ce.run_task`` does in simulation; :meth:`worker` returns a
    :class:`RayWorker` for several tasks (``"reused"`` or ``"fresh"``).

    The fake tracking server is the test's ``orq_mlflow``: what the workers
    logged is there when ``run_task`` returns.
    """

    def __init__(
        self,
        workspace: FakeWorkspace,
        setup: EnvironmentSetup,
        *,
        cluster: LocalRayCluster,
        transport: LoopbackTransport,
        by_value: Callable[[Callable[..., Any]], list[ModuleType]] | None = None,
    ) -> None:
        super().__init__(workspace, setup)
        self.cluster = cluster
        self.transport = transport
        #: The scheduling key prefix of this handle's workers.
        self.key = uuid.uuid4().hex[:12]
        self._by_value = by_value
        self._in_flight: set[RayTask[Any]] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._default: RayWorker | None = None

    def __repr__(self) -> str:
        return (
            f"OrqRayEnvironment(workspace_id={self.workspace_id!r}, "
            f"proxy={self.transport.url!r}, sandbox={str(self.sandbox.root)!r})"
        )

    def __reduce_ex__(self, protocol: Any) -> Any:
        """Refuse to be pickled: a task must not carry the test's handle to a worker."""
        raise TypeError(
            "The orq_ray handle cannot be sent to a Ray worker (a task captured it, or got "
            "it as an argument). Pass the values the task needs instead, for example "
            "orq_ray.workspace_id."
        )

    @property
    def workers_dir(self) -> Path:
        """Where each worker process gets its working directory (``ray-<pid>``)."""
        return self.sandbox.workers_dir

    @property
    def proxy_url(self) -> str:
        """The loopback server the workers use as their HTTP proxy."""
        return self.transport.url

    def worker_variables(self, key: str | None = None) -> dict[str, str]:
        """The variables given to a worker through Ray's runtime environment.

        The CE platform's variables, the harness's (telemetry off, fast MLflow
        HTTP failures), ``HOME`` in the sandbox, the loopback proxy, and
        :data:`POOL_VARIABLE` set to ``key`` when given.
        """
        variables = dict(self._variables)
        if key is not None:
            variables[POOL_VARIABLE] = key
        return variables

    def run_task(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn(*args, **kwargs)`` as a Ray task in a fresh worker process; return its result.

        Like ``orq_ce.run_task``: the worker sees the platform's variables only,
        and the task's exception propagates unchanged. For worker reuse or many
        tasks at once, use :meth:`worker`.
        """
        if self._default is None:
            self._default = RayWorker(self, "fresh")
        return self._default.run_task(fn, *args, **kwargs)

    def worker(self, mode: str = "reused") -> RayWorker:  # type: ignore[override]
        """A :class:`RayWorker` with its own worker processes: ``"reused"`` (default) or ``"fresh"``."""
        return RayWorker(self, mode)  # type: ignore[arg-type]

    def worker_environ(self) -> dict[str, str]:
        """The variables a worker gets on top of the cluster's environment (see :meth:`worker_variables`)."""
        return self.worker_variables()

    def pickle_by_value(self, *modules: ModuleType) -> None:
        """Send ``modules``' functions to the workers by value (helpers the workers cannot import).

        The module of every task function is handled automatically when it is
        part of the test suite; use this for other local modules the task calls.
        """
        self.cluster.pickle_by_value(*modules)

    def set_variable(self, name: str, value: str) -> None:
        """Set ``name`` for every task submitted from now on (the test's process is untouched).

        A changed runtime environment means new worker processes: a ``"reused"``
        worker does not keep its process across this call.
        """
        self._variables[name] = value

    def remove_variable(self, name: str) -> None:
        """Remove ``name`` for every task submitted from now on (the test's process is untouched)."""
        self._variables.pop(name, None)

    # -- internals ----------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(
                "This orq_ray environment belongs to a test that has finished; "
                "request the orq_ray fixture in the test that runs the task."
            )

    def _ship(self, fn: Callable[..., Any]) -> None:
        if self._by_value is not None:
            modules = self._by_value(fn)
            if modules:
                self.cluster.pickle_by_value(*modules)

    def _track(self, task: RayTask[Any]) -> None:
        with self._lock:
            self._in_flight.add(task)

    def _untrack(self, task: RayTask[Any]) -> None:
        with self._lock:
            self._in_flight.discard(task)

    def close(self) -> list[str]:
        """Cancel the tasks still running (forcefully); return their names. Idempotent."""
        self._closed = True
        with self._lock:
            left = list(self._in_flight)
            self._in_flight.clear()
        if left:
            import ray

            for task in left:
                with contextlib.suppress(Exception):
                    ray.cancel(task.ref, force=True)
        return [task.name for task in left]


# -- which modules travel by value -----------------------------------------------------------


class ModuleShipping:
    """Decides which task modules Ray must pickle by value.

    A function's module travels by value when its file is inside ``rootdir``
    (the test suite and the project's own sources) and it is either a test file
    (``test_*.py``, ``*_test.py``, ``conftest.py``) or not part of an installed
    distribution. Installed packages (including editable installs) are imported
    by the workers as usual.
    """

    def __init__(self, rootdir: Path) -> None:
        self.rootdir = rootdir.resolve()
        self._installed: set[str] | None = None
        self._skip_dirs = tuple(
            str(Path(p).resolve())
            for p in {sysconfig.get_path(n) for n in ("stdlib", "purelib", "platlib")}
            if p
        )

    def installed_top_levels(self) -> set[str]:
        """Top-level import names of the installed distributions (computed once)."""
        if self._installed is None:
            import importlib.metadata

            self._installed = set(importlib.metadata.packages_distributions())
        return self._installed

    def modules_for(self, fn: Callable[..., Any]) -> list[ModuleType]:
        """The modules of ``fn`` (and of a ``functools.partial``'s function) to send by value."""
        target = fn.func if isinstance(fn, functools.partial) else fn
        name = getattr(target, "__module__", None)
        module = sys.modules.get(name) if isinstance(name, str) else None
        if module is None or not self.by_value(module):
            return []
        return [module]

    def by_value(self, module: ModuleType) -> bool:
        """Whether ``module`` must travel by value."""
        file = getattr(module, "__file__", None)
        if not file:
            return False
        path = Path(file).resolve()
        if str(path).startswith(self._skip_dirs) or not path.is_relative_to(self.rootdir):
            return False
        stem = path.stem
        if stem == "conftest" or stem.startswith("test_") or stem.endswith("_test"):
            return True
        return module.__name__.split(".")[0] not in self.installed_top_levels()


# -- fixture bodies (pytest is imported here only) -------------------------------------------


def cluster_fixture(options: RayOptions) -> Iterator[LocalRayCluster]:
    """Body of ``orq_ray_cluster``: skip without Ray; start the cluster once; stop it at the end."""
    import pytest

    pytest.importorskip("ray", reason=SKIP_REASON)
    if not isinstance(options, RayOptions):
        pytest.fail(
            f"The orq_ray_options fixture must return a RayOptions (from "
            f"pytest_orq_mlflow.ray_cluster), not {type(options).__name__}.",
            pytrace=False,
        )
    with shared_cluster(options) as cluster:
        yield cluster


def ray_environment(
    request: pytest.FixtureRequest,
    workspace: FakeWorkspace,
    cluster: LocalRayCluster,
) -> Iterator[OrqRayEnvironment]:
    """Body of ``orq_ray``: serve the test's workspace over loopback to this test's Ray tasks."""
    import pytest

    from .sandbox import Sandbox
    from .transports import LoopbackTransport

    if "fs" in request.fixturenames:
        pytest.fail(
            "orq_ray cannot be combined with pyfakefs' fs fixture: Ray worker processes read "
            "the passport and write artifacts on the real disk. Use orq_ce for tests that "
            "need fs.",
            pytrace=False,
        )
    shipping = _shipping(request.config)
    sandbox: Sandbox = Sandbox.create()
    transport = LoopbackTransport(workspace.mounts).start()
    real_timeouts = workspace.catalog.real_timeouts
    workspace.catalog.real_timeouts = True  # the workers' client waits for real
    try:
        setup = workspace.prepare("ce", sandbox)
        setup.variables.update(transport.proxy_env)
        env = OrqRayEnvironment(
            workspace, setup, cluster=cluster, transport=transport, by_value=shipping.modules_for
        )
        try:
            yield env
        finally:
            cancelled = env.close()
            if cancelled:
                import warnings

                from .isolation import OrqMlflowWarning

                warnings.warn(
                    f"The test {request.node.nodeid} left Ray task(s) running: "
                    f"{', '.join(cancelled)}; orq_ray cancelled them. Wait for every task "
                    "with run_task(), map() or RayTask.result().",
                    OrqMlflowWarning,
                    stacklevel=1,
                )
    finally:
        workspace.catalog.real_timeouts = real_timeouts
        transport.stop()
        sandbox.remove()


_SHIPPING_KEY: Any = None


def _shipping(config: pytest.Config) -> ModuleShipping:
    """The session's :class:`ModuleShipping` (kept in the config's stash)."""
    import pytest

    global _SHIPPING_KEY
    if _SHIPPING_KEY is None:
        _SHIPPING_KEY = pytest.StashKey[ModuleShipping]()
    shipping: ModuleShipping | None = config.stash.get(_SHIPPING_KEY, None)
    if shipping is None:
        shipping = ModuleShipping(Path(config.rootpath))
        config.stash[_SHIPPING_KEY] = shipping
    return shipping
