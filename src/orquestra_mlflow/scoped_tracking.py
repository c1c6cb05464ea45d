"""Scoped tracking: connect the MLflow client to a workspace for a block or a function.

``orquestra_mlflow.tracking(workspace_id, config_name=None)`` is a context
manager and a decorator. Inside it the MLflow client talks to the workspace's
tracking server, authenticated by the ``orquestra`` request auth provider
(which reads the current token for every request, so rotated tokens are picked
up); on exit everything it changed is put back exactly. See :func:`tracking`.

This module does not import mlflow until a scope is entered.
"""

from __future__ import annotations

import functools
import os
import threading
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from . import variables
from .errors import TrackingConflictError

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

P = ParamSpec("P")
R = TypeVar("R")

#: ``MLFLOW_TRACKING_AUTH`` selects the request auth provider by this name.
AUTH_VARIABLE = "MLFLOW_TRACKING_AUTH"
AUTH_PROVIDER = "orquestra"
#: Set inside a scope: the config whose token is sent (local machine only).
CONFIG_NAME_VARIABLE = "ORQ_MLFLOW_CONFIG_NAME"
#: Set inside a scope: its workspace (the run context provider tags runs with it).
WORKSPACE_VARIABLE = "ORQ_MLFLOW_WORKSPACE"

#: Every environment variable a scope saves on entry and restores exactly on exit.
MANAGED_VARIABLES = (
    variables.TRACKING_URI,
    variables.TRACKING_TOKEN,
    AUTH_VARIABLE,
    "MLFLOW_TRACKING_USERNAME",
    "MLFLOW_TRACKING_PASSWORD",
    "MLFLOW_REGISTRY_URI",
    CONFIG_NAME_VARIABLE,
    WORKSPACE_VARIABLE,
    "MLFLOW_EXPERIMENT_ID",
    "MLFLOW_RUN_ID",
    "MLFLOW_ACTIVE_MODEL_ID",
    "_MLFLOW_ACTIVE_MODEL_ID",
)

#: Variables that belong to another server or another identity: removed inside a scope.
_CLEARED_INSIDE = (
    variables.TRACKING_TOKEN,
    "MLFLOW_TRACKING_USERNAME",
    "MLFLOW_TRACKING_PASSWORD",
    "MLFLOW_REGISTRY_URI",
    "MLFLOW_EXPERIMENT_ID",
    "MLFLOW_RUN_ID",
    "MLFLOW_ACTIVE_MODEL_ID",
    "_MLFLOW_ACTIVE_MODEL_ID",
)


@dataclass(frozen=True)
class TrackingTarget:
    """What a ``tracking()`` block is connected to (what ``with tracking(...) as t`` gives)."""

    workspace_id: str
    tracking_uri: str
    #: The local config whose token is sent; ``None`` in Studio and CE (the passport).
    config_name: str | None


@dataclass
class _GlobalState:
    """The process-wide state a scope changes: variables and MLflow's module globals."""

    environ: dict[str, str | None]
    tracking_uri: str | None
    registry_uri: str | None
    experiment_id: str | None


@dataclass
class _ThreadState:
    """The calling thread's MLflow state (MLflow keeps these per thread)."""

    run_stack: list[Any]
    last_active_run_id: str | None
    last_logged_model_id: str | None
    active_model_context: Any


@dataclass
class _Activation:
    """One connection of the process to a target, shared by the scopes that use it."""

    target: TrackingTarget
    saved: _GlobalState
    holders: dict[int, int] = field(default_factory=dict)  # thread id -> open scopes


@dataclass
class _Frame:
    """One entered scope."""

    activation: _Activation
    thread_state: _ThreadState
    #: Process-wide state at entry, restored on exit when the thread owns the activation alone.
    global_state: _GlobalState | None
    run_depth: int


_activations: list[_Activation] = []
_lock = threading.RLock()


class Tracking:
    """A scope connecting MLflow to a workspace; see :func:`~orquestra_mlflow.tracking`."""

    def __init__(self, workspace_id: str, config_name: str | None = None) -> None:
        self.workspace_id = workspace_id
        self.config_name = config_name
        self._local = threading.local()

    def __repr__(self) -> str:
        return f"tracking({self.workspace_id!r}, config_name={self.config_name!r})"

    def __reduce__(self) -> tuple[type[Tracking], tuple[str, str | None]]:
        return (Tracking, (self.workspace_id, self.config_name))

    def __call__(self, func: Callable[P, R]) -> Callable[P, R]:
        """Decorate ``func`` so every call runs inside a fresh scope.

        Only plain functions: a coroutine or generator function would leave the
        scope before its body runs, so it is refused with a ``TypeError``.
        """
        import inspect

        if inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func):
            kind = "async function"
        elif inspect.isgeneratorfunction(func):
            kind = "generator function"
        else:
            kind = ""
        if kind:
            raise TypeError(
                f"@tracking() cannot decorate the {kind} {func.__qualname__}: its body runs "
                "after the call returns, outside the scope. Use `with tracking(...):` inside "
                "its body instead."
            )
        workspace_id, config_name = self.workspace_id, self.config_name

        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            with Tracking(workspace_id, config_name):
                return func(*args, **kwargs)

        return wrapper

    def __enter__(self) -> TrackingTarget:
        target = _resolve(self.workspace_id, self.config_name)
        frame = _enter(target)
        frames: list[_Frame] = self._local.__dict__.setdefault("frames", [])
        frames.append(frame)
        return target

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        frame = self._local.frames.pop()
        _exit(frame, exc)


def tracking(workspace_id: str, config_name: str | None = None) -> Tracking:
    """Connect the MLflow client to ``workspace_id``'s tracking server, for a block or a function.

    Use it as a context manager (``with tracking("my-ws", "prod-d") as target:``;
    ``target`` is a :class:`~orquestra_mlflow.scoped_tracking.TrackingTarget`) or as a decorator
    (``@tracking("my-ws", "prod-d")``, a fresh scope for every call). Inside:

    * the tracking URI is the workspace's (as :func:`get_tracking_uri` finds it
      in this environment), set with ``mlflow.set_tracking_uri``;
    * requests carry the current Orquestra token, read for every request by
      the ``orquestra`` request auth provider (``MLFLOW_TRACKING_AUTH=orquestra``;
      locally ``ORQ_MLFLOW_CONFIG_NAME`` names the config): a passport rotated by
      the platform, or a config rewritten by ``orq login``, is used by the next
      request. ``MLFLOW_TRACKING_TOKEN``, ``..._USERNAME`` and ``..._PASSWORD``
      are removed for the duration, and the model registry follows the tracking
      URI (a registry URI set before is restored on exit);
    * runs are tagged with their origin (``mlflow.user`` and ``orquestra.*``,
      by the ``orquestra`` run context provider);
    * the active experiment, runs and model of an enclosing scope for *another*
      workspace (or from outside any scope) are hidden; they belong to another
      server. A scope nested in a scope for the same workspace shares its runs.

    On exit, even when the body raises: a run started inside and left open is
    ended (``FAILED`` if the body raised, ``KILLED`` on ``KeyboardInterrupt``),
    then every variable in ``MANAGED_VARIABLES`` (set or unset) and MLflow's
    tracking and registry URIs, active experiment, run stack, last active run,
    last logged model and active model are restored to what they were on entry.
    A task decorated with it therefore leaves nothing behind for the next task on a reused worker.

    Threads: MLflow keeps its connection in environment variables and module
    globals, which are per *process*. Threads may enter scopes for the same
    workspace at the same time (the connection is shared; it is undone when the
    last of them exits, and each thread's runs are its own). Entering a scope
    for another workspace while another thread is inside one raises
    :class:`TrackingConflictError`. While a scope is active, other threads that
    use MLflow outside any scope talk to its server too. The active experiment
    is process-wide: in threads, pass ``experiment_id=`` explicitly.

    On entry the token is read once: a missing passport or config fails here,
    and a JWT whose ``exp`` has passed gives a :class:`TokenExpiredWarning`
    saying how to log in again.

    Raises:
        InvalidArgumentError: bad ``workspace_id``; or no ``config_name`` locally.
        ConfigError: the config is unknown, or has no URI or token.
        MissingEnvironmentVariableError, PassportError: remotely, the platform's
            variables or passport are missing.
        NamespaceLookupError: remotely, the workspace's namespace is unknown.
        TrackingConflictError: another thread is inside a scope for another workspace.
    """
    return Tracking(workspace_id, config_name)


def _resolve(workspace_id: str, config_name: str | None) -> TrackingTarget:
    from .connection import get_tracking_uri, require_local_config_name, validate_workspace_id
    from .environment import is_remote
    from .errors import TokenExpiredWarning
    from .token_source import current_token, expiry_problem, token_source

    validate_workspace_id(workspace_id)
    local_config = None if is_remote() else require_local_config_name(config_name)
    source = token_source(local_config)
    problem = expiry_problem(current_token(local_config), source)
    if problem:  # before the look-up below, which an expired passport fails remotely
        warnings.warn(problem, TokenExpiredWarning, stacklevel=3)
    uri = get_tracking_uri(workspace_id, config_name)  # warns if config_name is ignored
    return TrackingTarget(workspace_id, uri, local_config)


def _enter(target: TrackingTarget) -> _Frame:
    me = threading.get_ident()
    thread_state = _save_thread_state()  # imports mlflow, outside the lock
    with _lock:
        top = _activations[-1] if _activations else None
        others = {t for a in _activations for t in a.holders if t != me}
        if top is not None and top.target == target and (not others or len(_activations) == 1):
            activation = top
            joined_alone = not others
        elif others:
            busy = ", ".join(repr(a.target.workspace_id) for a in _activations)
            raise TrackingConflictError(
                f"Cannot connect MLflow to workspace {target.workspace_id!r} in this thread: "
                f"other threads of this process are inside tracking() for {busy}, and MLflow's "
                "connection is per process. Use one workspace per process at a time (for "
                "example, enter tracking() once around the threads), or run the other "
                "workspace's work in a separate process."
            )
        else:
            activation = _Activation(target, _save_global_state())
            _activations.append(activation)
            joined_alone = True
        new_activation = not activation.holders
        first_in_thread = me not in activation.holders
        frame = _Frame(
            activation=activation,
            thread_state=thread_state,
            global_state=None if new_activation or not joined_alone else _save_global_state(),
            run_depth=0,
        )
        activation.holders[me] = activation.holders.get(me, 0) + 1
        try:
            if new_activation:
                _apply(target)
            if first_in_thread:
                _clear_thread_state()
            frame.run_depth = len(_fluent()._active_run_stack.get())
        except BaseException:
            _release(frame)
            raise
    return frame


def _exit(frame: _Frame, exc: BaseException | None) -> None:
    error = _end_open_runs(frame.run_depth, exc)
    _release(frame)
    if error is not None and exc is None:
        raise error


def _release(frame: _Frame) -> None:
    """Give up ``frame``'s hold on its activation; restore what it and the activation changed."""
    me = threading.get_ident()
    with _lock:
        activation = frame.activation
        left = activation.holders.get(me, 0) - 1
        if left > 0:
            activation.holders[me] = left
        else:
            activation.holders.pop(me, None)
        _restore_thread_state(frame.thread_state)
        if not activation.holders:
            _restore_global_state(activation.saved)
            if activation in _activations:
                _activations.remove(activation)
        elif frame.global_state is not None:
            _restore_global_state(frame.global_state)


def _end_open_runs(depth: int, exc: BaseException | None) -> BaseException | None:
    """End the calling thread's runs above ``depth``; the first error, if any, is returned."""
    fluent = _fluent()
    status = "FINISHED"
    if isinstance(exc, KeyboardInterrupt):
        status = "KILLED"
    elif exc is not None:
        status = "FAILED"
    first_error: BaseException | None = None
    stack = fluent._active_run_stack.get()
    while len(stack) > depth:
        before = len(stack)
        try:
            fluent.end_run(status)  # pops the run, then tells the server
        except Exception as error:
            first_error = first_error or error
            if len(stack) == before:
                stack.pop()
    return first_error


def _fluent() -> Any:
    import mlflow.tracking.fluent as fluent

    return fluent


def _service_utils() -> Any:
    import mlflow.tracking._tracking_service.utils as service_utils

    return service_utils


def _registry_utils() -> Any:
    import mlflow.tracking._model_registry.utils as registry_utils

    return registry_utils


def _save_global_state() -> _GlobalState:
    return _GlobalState(
        environ={name: os.environ.get(name) for name in MANAGED_VARIABLES},
        tracking_uri=_service_utils()._tracking_uri,
        registry_uri=_registry_utils()._registry_uri,
        experiment_id=_fluent()._active_experiment_id,
    )


def _restore_global_state(state: _GlobalState) -> None:
    utils = _service_utils()
    if utils._tracking_uri != state.tracking_uri:
        utils.set_tracking_uri(state.tracking_uri)  # also resets MLflow's tracer provider
    _registry_utils()._registry_uri = state.registry_uri
    _fluent()._active_experiment_id = state.experiment_id
    _set_environ(state.environ)


def _apply(target: TrackingTarget) -> None:
    changes: dict[str, str | None] = dict.fromkeys(_CLEARED_INSIDE)
    changes[AUTH_VARIABLE] = AUTH_PROVIDER
    changes[CONFIG_NAME_VARIABLE] = target.config_name
    changes[WORKSPACE_VARIABLE] = target.workspace_id
    _set_environ(changes)
    _service_utils().set_tracking_uri(target.tracking_uri)
    _registry_utils()._registry_uri = None  # the model registry follows the tracking URI
    _fluent()._active_experiment_id = None


def _set_environ(values: dict[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def _save_thread_state() -> _ThreadState:
    fluent = _fluent()
    return _ThreadState(
        run_stack=list(fluent._active_run_stack.get()),
        last_active_run_id=fluent._last_active_run_id.get(),
        last_logged_model_id=fluent._last_logged_model_id.get(),
        active_model_context=fluent._ACTIVE_MODEL_CONTEXT.get(),
    )


def _clear_thread_state() -> None:
    fluent = _fluent()
    fluent._active_run_stack.set([])
    fluent._last_active_run_id.set(None)
    fluent._last_logged_model_id.set(None)
    fluent._ACTIVE_MODEL_CONTEXT.set(fluent.ActiveModelContext())


def _restore_thread_state(state: _ThreadState) -> None:
    fluent = _fluent()
    fluent._active_run_stack.set(list(state.run_stack))
    fluent._last_active_run_id.set(state.last_active_run_id)
    fluent._last_logged_model_id.set(state.last_logged_model_id)
    fluent._ACTIVE_MODEL_CONTEXT.set(state.active_model_context)
