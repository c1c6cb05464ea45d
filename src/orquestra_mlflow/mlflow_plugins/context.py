"""MLflow run context provider ``orquestra``: tag every new run with where it came from.

Active only on Orquestra (Studio or CE: ``ORQ_CURRENT_CLUSTER`` is set) or inside
:func:`orquestra_mlflow.tracking` (which sets ``ORQ_MLFLOW_WORKSPACE``); it does
nothing elsewhere, and nothing at all when ``ORQ_MLFLOW_DISABLE_RUN_TAGS`` is
``1``, ``true``, ``yes`` or ``on``. When active, ``mlflow.start_run`` adds:

==========================  =====================================================
tag                         value
==========================  =====================================================
``mlflow.user``             :func:`orquestra_mlflow.get_current_user` (an e-mail)
``orquestra.workspace``     the workspace of ``tracking()``, else ``ORQ_CURRENT_WORKSPACE``
``orquestra.project``       ``ORQ_CURRENT_PROJECT`` (Studio and CE only)
``orquestra.cluster``       ``ORQ_CURRENT_CLUSTER``, or locally the host of the config's URI
==========================  =====================================================

A tag whose value cannot be found is left out, with a :class:`RunTagsWarning`
that says why; the run is never failed. Tags passed to ``start_run`` win.

MLflow imports this module during ``import mlflow``: it imports nothing that
MLflow has not already loaded, and does its work only when a run starts.
"""

from __future__ import annotations

import os

from mlflow.tracking.context.abstract_context import RunContextProvider

from ..errors import RunTagsWarning

#: Set to ``1``/``true``/``yes``/``on`` to switch the run tags off.
DISABLE_VARIABLE = "ORQ_MLFLOW_DISABLE_RUN_TAGS"
#: The workspace that ``orquestra_mlflow.tracking()`` connects to; set only inside it.
WORKSPACE_VARIABLE = "ORQ_MLFLOW_WORKSPACE"

USER_TAG = "mlflow.user"
WORKSPACE_TAG = "orquestra.workspace"
PROJECT_TAG = "orquestra.project"
CLUSTER_TAG = "orquestra.cluster"

_TRUE = frozenset({"1", "true", "yes", "on"})


def tags_disabled() -> bool:
    """``True`` when ``ORQ_MLFLOW_DISABLE_RUN_TAGS`` switches the run tags off."""
    return os.environ.get(DISABLE_VARIABLE, "").strip().lower() in _TRUE


class OrquestraRunContextProvider(RunContextProvider):
    """The ``orquestra`` run context provider (entry point ``mlflow.run_context_provider``)."""

    def in_context(self) -> bool:
        """On Orquestra or inside ``tracking()``, unless switched off."""
        if tags_disabled():
            return False
        return "ORQ_CURRENT_CLUSTER" in os.environ or bool(os.environ.get(WORKSPACE_VARIABLE))

    def tags(self) -> dict[str, str]:
        """The Orquestra tags of a new run; problems become a :class:`RunTagsWarning`."""
        try:
            return _collect_tags()
        except Exception as exc:  # never fail a run because of its tags
            _warn(f"Orquestra run tags were not added: {_describe(exc)}")
            return {}


def _collect_tags() -> dict[str, str]:
    from orquestra_mlflow.environment import is_remote
    from orquestra_mlflow.token_source import CONFIG_NAME_VARIABLE

    remote = is_remote()
    config_name = None if remote else os.environ.get(CONFIG_NAME_VARIABLE) or None
    found: dict[str, str] = {}
    problems: list[str] = []

    try:
        from orquestra_mlflow.users import get_current_user

        found[USER_TAG] = get_current_user(config_name or "auto")
    except Exception as exc:
        problems.append(f"{USER_TAG} ({_describe(exc)})")

    workspace = os.environ.get(WORKSPACE_VARIABLE) or os.environ.get("ORQ_CURRENT_WORKSPACE")
    if workspace:
        found[WORKSPACE_TAG] = workspace
    project = os.environ.get("ORQ_CURRENT_PROJECT") if remote else None
    if project:
        found[PROJECT_TAG] = project

    try:
        cluster = _cluster(remote, config_name)
    except Exception as exc:
        problems.append(f"{CLUSTER_TAG} ({_describe(exc)})")
    else:
        if cluster:
            found[CLUSTER_TAG] = cluster

    if problems:
        _warn(
            "Some Orquestra run tags were not added: "
            + "; ".join(problems)
            + f". The run goes on without them (set {DISABLE_VARIABLE}=true to switch the "
            "Orquestra run tags off)."
        )
    return found


def _cluster(remote: bool, config_name: str | None) -> str | None:
    if remote:
        return os.environ.get("ORQ_CURRENT_CLUSTER") or None
    from urllib.parse import urlsplit

    from orquestra_mlflow.config import read_config

    uri = read_config(config_name or "auto").uri
    return urlsplit(uri).hostname if uri else None


def _describe(exc: BaseException) -> str:
    """The message of ``exc`` with the current token, if any can be read, taken out."""
    from orquestra_mlflow.tokens import redact

    text = str(exc) or type(exc).__name__
    try:
        from orquestra_mlflow.token_source import current_token

        return redact(text, current_token())
    except Exception:
        return text


def _warn(message: str) -> None:
    import warnings

    warnings.warn(message, RunTagsWarning, stacklevel=4)
