"""The in-memory tracking backend: experiments, runs, metrics, artifacts, and MLflow's rules.

Plain Python, no HTTP. Every public method takes the backend's lock, so one
backend can serve many threads (the loopback transport answers each connection
on its own thread). Methods that return data return it in the JSON shape of
MLflow's REST API (the shape ``mlflow server`` sends: int64 fields as numbers,
NaN metric values as the string ``"NaN"``), so the route table only wraps it.

The rules follow MLflow's SQL tracking store (checked against MLflow 3.17):
id shapes, run and experiment lifecycles, param immutability, the limits of
``mlflow.utils.validation``, +-inf clamped to +-``sys.float_info.max``, metric
history ordered by ``(timestamp, step, value)``, latest metric by
``(step, timestamp, value)``. Run search delegates filter parsing, matching and
sorting to ``mlflow.utils.search_utils`` (imported lazily, only when searching
runs with a filter or order), so its semantics are MLflow's own.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import math
import posixpath
import random
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from pytest_orq_mlflow.fakeserver.errors import DetailError, MlflowApiError, invalid, not_found

MAX_PARAMS_TAGS_PER_BATCH = 100
MAX_METRICS_PER_BATCH = 1000
MAX_ENTITIES_PER_BATCH = 1000
MAX_PARAM_VAL_LENGTH = 6000
MAX_TAG_VAL_LENGTH = 8000
MAX_ENTITY_KEY_LENGTH = 250
MAX_EXPERIMENT_NAME_LENGTH = 500
MAX_EXPERIMENT_TAG_VAL_LENGTH = 20000
MAX_RESULTS_SEARCH_RUNS = 50000
MAX_RESULTS_SEARCH_EXPERIMENTS = 50000

RUN_STATUSES = ("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED")
VIEW_TYPES = ("ACTIVE_ONLY", "DELETED_ONLY", "ALL")
ARTIFACT_SCHEME = "mlflow-artifacts:"

_NAME_RE = re.compile(r"^[/\w.\- :]*$")
_RUN_ID_RE = re.compile(r"^[a-zA-Z0-9][\w\-]{0,255}$")
_FLOAT_MAX = sys.float_info.max
_ADJECTIVES = ("bold", "calm", "eager", "gentle", "brave", "quiet", "swift", "wise", "lucky")
_NOUNS = ("fox", "owl", "lark", "wolf", "hare", "crab", "moth", "seal", "yak", "newt")


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class ExperimentRecord:
    """One stored experiment (the backend's own mutable record)."""

    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: str
    creation_time: int
    last_update_time: int
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class MetricRecord:
    """One logged metric value."""

    key: str
    value: float
    timestamp: int
    step: int


@dataclass
class RunRecord:
    """One stored run (the backend's own mutable record)."""

    run_id: str
    experiment_id: str
    run_name: str
    user_id: str
    status: str
    start_time: int | None
    end_time: int | None
    artifact_uri: str
    lifecycle_stage: str
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, list[MetricRecord]] = field(default_factory=dict)
    latest: dict[str, MetricRecord] = field(default_factory=dict)
    inputs: list[dict[str, Any]] = field(default_factory=list)
    deleted_time: int | None = None
    seen_metrics: set[tuple[str, int, int, float | str]] = field(default_factory=set)


# --- JSON shapes -------------------------------------------------------------------------


def json_float(value: float) -> float | str:
    """A float as MLflow's proto JSON carries it: NaN as ``"NaN"`` (inf is clamped earlier)."""
    if value != value:
        return "NaN"
    if value in (math.inf, -math.inf):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def metric_json(metric: MetricRecord) -> dict[str, Any]:
    """A metric in proto JSON."""
    return {
        "key": metric.key,
        "value": json_float(metric.value),
        "timestamp": metric.timestamp,
        "step": metric.step,
    }


def _kv_list(items: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in items.items()]


def experiment_json(exp: ExperimentRecord) -> dict[str, Any]:
    """An experiment in proto JSON."""
    out: dict[str, Any] = {
        "experiment_id": exp.experiment_id,
        "name": exp.name,
        "artifact_location": exp.artifact_location,
        "lifecycle_stage": exp.lifecycle_stage,
        "last_update_time": exp.last_update_time,
        "creation_time": exp.creation_time,
    }
    if exp.tags:
        out["tags"] = _kv_list(exp.tags)
    out["workspace"] = "default"
    return out


def run_info_json(run: RunRecord) -> dict[str, Any]:
    """A run's ``info`` in proto JSON."""
    out: dict[str, Any] = {
        "run_uuid": run.run_id,
        "experiment_id": run.experiment_id,
        "run_name": run.run_name,
        "user_id": run.user_id,
        "status": run.status,
    }
    if run.start_time is not None:
        out["start_time"] = run.start_time
    if run.end_time is not None:
        out["end_time"] = run.end_time
    out["artifact_uri"] = run.artifact_uri
    out["lifecycle_stage"] = run.lifecycle_stage
    out["run_id"] = run.run_id
    return out


def run_json(run: RunRecord, *, outputs: bool = True) -> dict[str, Any]:
    """A whole run in proto JSON (``outputs`` is absent from a create-run answer)."""
    data: dict[str, Any] = {}
    if run.latest:
        data["metrics"] = [metric_json(m) for m in run.latest.values()]
    if run.params:
        data["params"] = _kv_list(run.params)
    if run.tags:
        data["tags"] = _kv_list(run.tags)
    inputs: dict[str, Any] = {}
    if run.inputs:
        inputs["dataset_inputs"] = copy.deepcopy(run.inputs)
    out: dict[str, Any] = {"info": run_info_json(run), "data": data, "inputs": inputs}
    if outputs:
        out["outputs"] = {}
    return out


# --- validation --------------------------------------------------------------------------


def _validate_name(kind: str, name: Any, path: str = "key") -> str:
    if name is None:
        raise invalid(
            f"Invalid value \"\" for parameter '{path}' supplied: {kind} name cannot be None."
        )
    if not isinstance(name, str):
        raise invalid(f"Invalid value {json.dumps(name)} for parameter '{path}' supplied.")
    if not _NAME_RE.match(name):
        raise invalid(
            f"Invalid value {json.dumps(name)} for parameter '{path}' supplied: Names may only "
            "contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), "
            "colon(:) and slashes (/)."
        )
    norm = posixpath.normpath(name)
    if norm != name or norm == "." or norm.startswith("..") or norm.startswith("/"):
        raise invalid(
            f"Invalid value {json.dumps(name)} for parameter '{path}' supplied: Names may be "
            "treated as files in certain cases, and must not resolve to other names when "
            f"treated as such. This name would resolve to {norm!r}"
        )
    if len(name) > MAX_ENTITY_KEY_LENGTH:
        raise invalid(f"'{kind}' exceeds the maximum length of {MAX_ENTITY_KEY_LENGTH} characters")
    return name


def _string_value(value: Any, path: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        # The client sends strings; the real server's proto parser coerces scalars.
        if isinstance(value, bool | int | float):
            return str(value)
        raise invalid(f"Invalid value {json.dumps(value)} for parameter '{path}' supplied.")
    return value


def parse_metric_value(value: Any) -> float:
    """A metric value from JSON (a number, or ``"NaN"``/``"Infinity"``/``"-Infinity"``).

    +-inf are clamped to +-``sys.float_info.max``, as MLflow's SQL store stores them.
    """
    if not isinstance(value, int | float | str):
        raise invalid(
            f"Invalid value {json.dumps(value)} for parameter 'value' supplied: "
            f" Hint: Value was of type '{type(value).__name__}'. See the API docs for more "
            "information about request parameters."
        )
    if isinstance(value, str):
        # The real server's proto parser accepts numeric strings ("1.5") and NaN/Infinity.
        try:
            number = float(value)
        except ValueError:
            raise invalid(
                f"Invalid value {json.dumps(value)} for parameter 'value' supplied:  Hint: "
                "Value was of type 'str'. See the API docs for more information about request "
                "parameters."
            ) from None
    else:
        number = float(value)
    if number == math.inf:
        return _FLOAT_MAX
    if number == -math.inf:
        return -_FLOAT_MAX
    return number


def _int_value(value: Any, path: str, *, required: bool) -> int | None:
    if value is None or value == "":
        if required:
            raise invalid(
                f"Missing value for required parameter '{path}'. See the API docs for more "
                "information about request parameters."
            )
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise invalid(
            f"Invalid value {json.dumps(value)} for parameter '{path}' supplied."
        ) from None


def _max_results(value: Any, default: int | None) -> int | None:
    """A page size: ``default`` when unset; a non-positive one is an error, as in the SQL store."""
    limit = _int_value(value, "max_results", required=False)
    if limit is None:
        return default
    if limit < 1:
        raise invalid(
            f"Invalid value {limit} for parameter 'max_results' supplied. It must be a "
            "positive integer"
        )
    return limit


def _search_page_size(value: Any, maximum: int, too_large: str) -> int:
    """A search's page size: 1000 when unset, an error when not positive or above ``maximum``.

    ``too_large`` is the real server's message, with ``{maximum}`` and ``{limit}`` fields.
    """
    limit = _max_results(value, 1000)
    assert limit is not None
    if limit > maximum:
        raise invalid(too_large.format(maximum=maximum, limit=limit))
    return limit


def _check_experiment_id(experiment_id: Any) -> str:
    text = str(experiment_id) if experiment_id is not None else ""
    try:
        int(text)
    except ValueError:
        raise invalid(
            f"Invalid experiment ID '{text}'. Experiment ID must be a valid integer."
        ) from None
    return text


def encode_page_token(offset: int) -> str:
    """MLflow's page token: base64 of ``{"offset": n}``."""
    return base64.b64encode(json.dumps({"offset": offset}).encode()).decode()


def decode_page_token(token: str | None) -> int:
    """The offset in an MLflow page token (0 when empty); errors as MLflow words them."""
    if not token:
        return 0
    try:
        decoded = base64.b64decode(token)
    except (binascii.Error, ValueError, TypeError):
        raise invalid("Invalid page token, could not base64-decode") from None
    try:
        parsed = json.loads(decoded)
    except ValueError:
        raise invalid(f"Invalid page token, decoded value={decoded!r}") from None
    offset = parsed.get("offset") if isinstance(parsed, dict) else None
    if not offset:
        raise invalid(f"Invalid page token, parsed value={parsed}")
    try:
        return int(offset)
    except (TypeError, ValueError):
        raise invalid(f"Invalid page token, not stringable {offset}") from None


def _view_type(value: Any) -> str:
    if value in (None, "", 1, "1"):
        return "ACTIVE_ONLY"
    names = {2: "DELETED_ONLY", 3: "ALL", "2": "DELETED_ONLY", "3": "ALL"}
    value = names.get(value, value)
    if value not in VIEW_TYPES:
        raise invalid(f"Invalid value {json.dumps(value)} for parameter 'view_type' supplied.")
    return str(value)


def _stage_visible(stage: str, view_type: str) -> bool:
    return (
        view_type == "ALL"
        or (view_type == "ACTIVE_ONLY" and stage == "active")
        or (view_type == "DELETED_ONLY" and stage == "deleted")
    )


def _mlflow_error(exc: Exception) -> MlflowApiError:
    code = getattr(exc, "error_code", "INVALID_PARAMETER_VALUE")
    message = getattr(exc, "message", str(exc))
    return MlflowApiError(str(code), str(message))


def _metric_order_value(value: float) -> float:
    # The SQL store stores NaN as 0 with an ``is_nan`` flag, and orders by the stored value.
    return 0.0 if value != value else value


# --- the backend -------------------------------------------------------------------------


class TrackingBackend:
    """An in-memory MLflow tracking store with the real server's rules; thread-safe.

    ``clock`` returns milliseconds since the epoch (injectable for tests).
    """

    def __init__(self, clock: Callable[[], int] | None = None) -> None:
        self._lock = threading.RLock()
        self._clock = clock or _now_ms
        self.experiments: dict[str, ExperimentRecord] = {}
        self.runs: dict[str, RunRecord] = {}
        self.artifacts: dict[str, bytes] = {}
        self._next_experiment_id = 0
        self.reset()

    def reset(self) -> None:
        """Forget everything except the ``Default`` experiment (id ``"0"``)."""
        with self._lock:
            self.experiments = {}
            self.runs = {}
            self.artifacts = {}
            self._next_experiment_id = 0
            now = self._clock()
            self.experiments["0"] = ExperimentRecord(
                "0", "Default", f"{ARTIFACT_SCHEME}/0", "active", now, now
            )
            self._next_experiment_id = 1

    @property
    def lock(self) -> threading.RLock:
        """The lock every method holds; take it to read several records consistently."""
        return self._lock

    # --- experiments -----------------------------------------------------------------

    def _experiment(self, experiment_id: Any) -> ExperimentRecord:
        text = _check_experiment_id(experiment_id)
        exp = self.experiments.get(text)
        if exp is None:
            raise not_found(f"No Experiment with id={text} exists")
        return exp

    def create_experiment(
        self,
        name: Any,
        artifact_location: str | None = None,
        tags: Iterable[Mapping[str, Any]] | None = None,
    ) -> str:
        """Create an experiment; returns its id. A taken name (even deleted) is an error."""
        if not isinstance(name, str) or not name:
            raise invalid(
                f"Invalid experiment name: {name!r}. Experiment name cannot be empty."
                if not name
                else f"Invalid experiment name: {name!r}. Expects a string."
            )
        if len(name) > MAX_EXPERIMENT_NAME_LENGTH:
            raise invalid(
                f"'name' exceeds the maximum length of {MAX_EXPERIMENT_NAME_LENGTH} characters"
            )
        tag_items = [
            (str(t.get("key")), _string_value(t.get("value"), "value")) for t in tags or []
        ]
        with self._lock:
            if any(e.name == name for e in self.experiments.values()):
                raise MlflowApiError(
                    "RESOURCE_ALREADY_EXISTS", f"Experiment(name={name}) already exists."
                )
            experiment_id = str(self._next_experiment_id)
            self._next_experiment_id += 1
            now = self._clock()
            location = artifact_location or f"{ARTIFACT_SCHEME}/{experiment_id}"
            exp = ExperimentRecord(experiment_id, name, location, "active", now, now)
            for key, value in tag_items:
                exp.tags[key] = value
            self.experiments[experiment_id] = exp
            return experiment_id

    def get_experiment(self, experiment_id: Any) -> dict[str, Any]:
        """The experiment with that id (deleted ones too)."""
        with self._lock:
            return experiment_json(self._experiment(experiment_id))

    def get_experiment_by_name(self, name: str) -> dict[str, Any]:
        """The experiment with that name (deleted ones too)."""
        with self._lock:
            for exp in self.experiments.values():
                if exp.name == name:
                    return experiment_json(exp)
        raise not_found(f"Could not find experiment with name '{name}'")

    def update_experiment(self, experiment_id: Any, new_name: Any) -> None:
        """Rename an active experiment."""
        with self._lock:
            exp = self._experiment(experiment_id)
            if not isinstance(new_name, str) or not new_name:
                raise invalid("Invalid experiment name: ''. Experiment name cannot be empty.")
            if exp.lifecycle_stage != "active":
                raise invalid(
                    "Cannot rename a non-active experiment. "
                    f"Current state is {exp.lifecycle_stage}."
                )
            if any(e.name == new_name and e is not exp for e in self.experiments.values()):
                raise MlflowApiError("BAD_REQUEST", f"Experiment(name={new_name}) already exists.")
            exp.name = new_name
            exp.last_update_time = self._clock()

    def delete_experiment(self, experiment_id: Any) -> None:
        """Mark an experiment (and its active runs) deleted; the Default one cannot be."""
        with self._lock:
            exp = self._experiment(experiment_id)
            if exp.experiment_id == "0":
                raise invalid(
                    "Cannot delete the default experiment '0'. This is an internal tracking experiment."
                )
            if exp.lifecycle_stage == "deleted":
                raise not_found(f"No Experiment with id={exp.experiment_id} exists")
            now = self._clock()
            exp.lifecycle_stage = "deleted"
            exp.last_update_time = now
            for run in self.runs.values():
                if run.experiment_id == exp.experiment_id and run.lifecycle_stage == "active":
                    run.lifecycle_stage = "deleted"
                    run.deleted_time = now

    def restore_experiment(self, experiment_id: Any) -> None:
        """Restore a deleted experiment and the runs deleted with it."""
        with self._lock:
            exp = self._experiment(experiment_id)
            if exp.lifecycle_stage != "deleted":
                raise not_found(f"No deleted experiment with id={exp.experiment_id} exists")
            exp.lifecycle_stage = "active"
            exp.last_update_time = self._clock()
            for run in self.runs.values():
                if run.experiment_id == exp.experiment_id and run.lifecycle_stage == "deleted":
                    run.lifecycle_stage = "active"
                    run.deleted_time = None

    def delete_experiment_tag(self, experiment_id: Any, key: Any) -> None:
        """Remove a tag from an active experiment; an unknown key is ``RESOURCE_DOES_NOT_EXIST``."""
        with self._lock:
            exp = self._experiment(experiment_id)
            if exp.lifecycle_stage != "active":
                raise invalid(
                    f"The experiment {exp.experiment_id} must be in the 'active' state. "
                    f"Current state is {exp.lifecycle_stage}."
                )
            if key not in exp.tags:
                raise not_found(
                    f"No tag with name: {key} in experiment with id {exp.experiment_id}"
                )
            del exp.tags[key]

    def set_experiment_tag(self, experiment_id: Any, key: Any, value: Any) -> None:
        """Set a tag on an active experiment."""
        key = _validate_name("Tag", key)
        text = _string_value(value, "value")
        if len(text) > MAX_EXPERIMENT_TAG_VAL_LENGTH:
            raise invalid(
                f"'value' exceeds the maximum length of {MAX_EXPERIMENT_TAG_VAL_LENGTH} characters"
            )
        with self._lock:
            exp = self._experiment(experiment_id)
            if exp.lifecycle_stage != "active":
                raise invalid(
                    f"The experiment {exp.experiment_id} must be in the 'active' state. "
                    f"Current state is {exp.lifecycle_stage}."
                )
            exp.tags[key] = text

    def search_experiments(
        self,
        view_type: Any = "ACTIVE_ONLY",
        filter_string: str | None = None,
        order_by: list[str] | None = None,
        max_results: Any = 1000,
        page_token: str | None = None,
    ) -> dict[str, Any]:
        """Experiments matching a filter, sorted and paged like the SQL store."""
        view = _view_type(view_type)
        limit = _search_page_size(
            max_results,
            MAX_RESULTS_SEARCH_EXPERIMENTS,
            "Invalid value for request parameter max_results. It must be at most {maximum}, "
            "but got value {limit}",
        )
        offset = decode_page_token(page_token)
        with self._lock:
            views = [
                SimpleNamespace(
                    experiment_id=e.experiment_id,
                    name=e.name,
                    creation_time=e.creation_time,
                    last_update_time=e.last_update_time,
                    lifecycle_stage=e.lifecycle_stage,
                    tags=dict(e.tags),
                    record=e,
                )
                for e in self.experiments.values()
                if _stage_visible(e.lifecycle_stage, view)
            ]
            if filter_string or order_by:
                views = _search_experiments(views, filter_string, order_by)
            else:
                views.sort(key=lambda v: (-v.creation_time, int(v.experiment_id)))
            page = [experiment_json(v.record) for v in views[offset : offset + limit]]
        out: dict[str, Any] = {}
        if page:
            out["experiments"] = page
        if offset + limit < len(views):
            out["next_page_token"] = encode_page_token(offset + limit)
        return out

    # --- runs ------------------------------------------------------------------------

    def _run(self, run_id: Any) -> RunRecord:
        run = self.runs.get(run_id) if isinstance(run_id, str) else None
        if run is None:
            raise not_found(f"Run with id={run_id} not found")
        return run

    def _active_run(self, run_id: Any) -> RunRecord:
        run = self._run(run_id)
        if run.lifecycle_stage != "active":
            raise invalid(
                f"The run {run.run_id} must be in the 'active' state. "
                f"Current state is {run.lifecycle_stage}."
            )
        return run

    def create_run(
        self,
        experiment_id: Any = "0",
        user_id: Any = "",
        start_time: Any = None,
        tags: Iterable[Mapping[str, Any]] | None = None,
        run_name: Any = None,
    ) -> dict[str, Any]:
        """Start a run in an active experiment; returns the run (without ``outputs``).

        An empty ``experiment_id`` fails like the SQL store's insert (``BAD_REQUEST``): the
        Default experiment is checked, but no run can reference experiment ``""``.
        """
        tag_items: list[tuple[str, str]] = []
        for tag in tags or []:
            key = _validate_name("Tag", tag.get("key"))
            value = _string_value(tag.get("value"), "value")[:MAX_TAG_VAL_LENGTH]
            tag_items.append((key, value))
        start = _int_value(start_time, "start_time", required=False)
        with self._lock:
            exp = self._experiment(experiment_id or "0")
            if exp.lifecycle_stage != "active":
                raise invalid(
                    f"The experiment {exp.experiment_id} must be in the 'active' state. "
                    f"Current state is {exp.lifecycle_stage}."
                )
            tag_name = dict(tag_items).get("mlflow.runName")
            if run_name and tag_name and run_name != tag_name:
                raise invalid(
                    "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with "
                    f"different values (run_name='{run_name}', "
                    f"mlflow.runName='{tag_name}')."
                )
            if experiment_id is None or experiment_id == "":
                raise MlflowApiError(
                    "BAD_REQUEST", "(sqlite3.IntegrityError) FOREIGN KEY constraint failed"
                )
            name = str(run_name or tag_name or _random_name())
            run_id = uuid.uuid4().hex
            run = RunRecord(
                run_id=run_id,
                experiment_id=exp.experiment_id,
                run_name=name,
                user_id=_string_value(user_id, "user_id"),
                status="RUNNING",
                start_time=start if start is not None else self._clock(),
                end_time=None,
                artifact_uri=f"{exp.artifact_location.rstrip('/')}/{run_id}/artifacts",
                lifecycle_stage="active",
            )
            for key, value in tag_items:
                run.tags[key] = value
            run.tags.setdefault("mlflow.runName", name)
            self.runs[run_id] = run
            return run_json(run, outputs=False)

    def get_run(self, run_id: Any) -> dict[str, Any]:
        """The run with that id (deleted ones too)."""
        with self._lock:
            return run_json(self._run(run_id))

    def update_run(
        self, run_id: Any, status: Any = None, end_time: Any = None, run_name: Any = None
    ) -> dict[str, Any]:
        """Change an active run's status, end time or name; returns its ``run_info``."""
        if status not in (None, "") and status not in RUN_STATUSES:
            raise invalid(f"Invalid value {json.dumps(status)} for parameter 'status' supplied.")
        end = _int_value(end_time, "end_time", required=False)
        with self._lock:
            run = self._active_run(run_id)
            if status:
                run.status = str(status)
            if end is not None:
                run.end_time = end
            if run_name:
                run.run_name = str(run_name)
                run.tags["mlflow.runName"] = str(run_name)
            return run_info_json(run)

    def delete_run(self, run_id: Any) -> None:
        """Mark a run deleted (it stays readable)."""
        with self._lock:
            run = self._run(run_id)
            run.lifecycle_stage = "deleted"
            run.deleted_time = self._clock()

    def restore_run(self, run_id: Any) -> None:
        """Mark a deleted run active again."""
        with self._lock:
            run = self._run(run_id)
            run.lifecycle_stage = "active"
            run.deleted_time = None

    def _add_metric(self, run: RunRecord, metric: MetricRecord) -> None:
        ident = (metric.key, metric.timestamp, metric.step, json_float(metric.value))
        if ident in run.seen_metrics:
            return  # the SQL store ignores an exact duplicate
        run.seen_metrics.add(ident)
        run.metrics.setdefault(metric.key, []).append(metric)
        latest = run.latest.get(metric.key)
        if latest is None or (
            metric.step,
            metric.timestamp,
            _metric_order_value(metric.value),
        ) > (latest.step, latest.timestamp, _metric_order_value(latest.value)):
            run.latest[metric.key] = metric

    @staticmethod
    def _metric(item: Mapping[str, Any], path: str = "") -> MetricRecord:
        key = _validate_name("Metric name", item.get("key"))
        value = item.get("value")
        if value is None:
            raise invalid(
                "Missing value for required parameter 'value'. See the API docs for more "
                "information about request parameters."
            )
        number = parse_metric_value(value)
        timestamp = _int_value(item.get("timestamp"), "timestamp", required=True)
        assert timestamp is not None
        if timestamp < 0:
            raise invalid(
                f"Invalid value {timestamp} for parameter '{path}timestamp' supplied: metric "
                f"'{key}' (value={value}). Timestamp must be a nonnegative long (64-bit "
                "integer) "
            )
        step = _int_value(item.get("step"), "step", required=False) or 0
        return MetricRecord(key, number, timestamp, step)

    def log_metric(self, run_id: Any, key: Any, value: Any, timestamp: Any, step: Any = 0) -> None:
        """Log one metric value (``timestamp`` is required, as on the real server)."""
        metric = self._metric({"key": key, "value": value, "timestamp": timestamp, "step": step})
        with self._lock:
            self._add_metric(self._active_run(run_id), metric)

    def _set_params(
        self, run: RunRecord, params: list[tuple[str, str]], *, single: bool = False
    ) -> None:
        conflicts = [
            (k, run.params[k], v) for k, v in params if k in run.params and run.params[k] != v
        ]
        if conflicts and single:
            key, old, new = conflicts[0]
            raise invalid(
                f"Changing param values is not allowed. Param with key='{key}' was already "
                f"logged with value='{old}' for run ID='{run.run_id}'. "
                f"Attempted logging new value '{new}'."
            )
        if conflicts:
            listed = [{"key": k, "old_value": o, "new_value": n} for k, o, n in conflicts]
            raise invalid(
                f"Changing param values is not allowed. Params were already logged='{listed}' "
                f"for run ID='{run.run_id}'."
            )
        for key, value in params:
            run.params[key] = value

    @staticmethod
    def _param(key: Any, value: Any) -> tuple[str, str]:
        return (
            _validate_name("Param key", key),
            _string_value(value, "value")[:MAX_PARAM_VAL_LENGTH],
        )

    def log_param(self, run_id: Any, key: Any, value: Any) -> None:
        """Log a param; re-logging a key with a different value is an error."""
        param = self._param(key, value)
        with self._lock:
            self._set_params(self._active_run(run_id), [param], single=True)

    def _set_tag(self, run: RunRecord, key: str, value: str) -> None:
        run.tags[key] = value
        if key == "mlflow.runName":
            run.run_name = value

    def set_tag(self, run_id: Any, key: Any, value: Any) -> None:
        """Set a run tag (``mlflow.runName`` also renames the run)."""
        key = _validate_name("Tag", key)
        text = _string_value(value, "value")[:MAX_TAG_VAL_LENGTH]
        with self._lock:
            self._set_tag(self._active_run(run_id), key, text)

    def delete_tag(self, run_id: Any, key: Any) -> None:
        """Remove a run tag; an unknown key is ``RESOURCE_DOES_NOT_EXIST``."""
        with self._lock:
            run = self._active_run(run_id)
            if key not in run.tags:
                raise not_found(f"No tag with name: {key} in run with id {run.run_id}")
            del run.tags[key]

    def log_batch(
        self,
        run_id: Any,
        metrics: list[Mapping[str, Any]] | None = None,
        params: list[Mapping[str, Any]] | None = None,
        tags: list[Mapping[str, Any]] | None = None,
    ) -> None:
        """Log metrics, params and tags at once, within MLflow's batch limits; all or nothing.

        Checked in the SQL store's order: every item, the batch limits, then param keys
        unique (a key twice is an error even with the same value).
        """
        metrics, params, tags = metrics or [], params or [], tags or []
        parsed_metrics = [self._metric(m, f"metrics[{i}].") for i, m in enumerate(metrics)]
        parsed_params = [self._param(p.get("key"), p.get("value")) for p in params]
        parsed_tags = [
            (
                _validate_name("Tag", t.get("key")),
                _string_value(t.get("value"), "value")[:MAX_TAG_VAL_LENGTH],
            )
            for t in tags
        ]
        if len(metrics) > MAX_METRICS_PER_BATCH:
            raise invalid(
                f"A batch logging request can contain at most {MAX_METRICS_PER_BATCH} metrics. "
                f"Got {len(metrics)} metrics. Please split up metrics across multiple requests "
                "and try again."
            )
        for kind, items in (("params", params), ("tags", tags)):
            if len(items) > MAX_PARAMS_TAGS_PER_BATCH:
                raise invalid(
                    f"A batch logging request can contain at most {MAX_PARAMS_TAGS_PER_BATCH} "
                    f"{kind}. Got {len(items)} {kind}. Please split up {kind} across multiple "
                    "requests and try again."
                )
        total = len(metrics) + len(params) + len(tags)
        if total > MAX_ENTITIES_PER_BATCH:
            raise invalid(
                "A batch logging request can contain at most a total of "
                f"{MAX_ENTITIES_PER_BATCH} metrics, params, and tags. Got {len(metrics)} "
                f"metrics, {len(params)} params, and {len(tags)} tags. Please split up metrics, "
                "params, and tags across multiple requests and try again."
            )
        seen: set[str] = set()
        duplicates: list[str] = []
        for key, _ in parsed_params:
            if key in seen:
                duplicates.append(key)
            seen.add(key)
        if duplicates:
            raise invalid(
                f"Duplicate parameter keys have been submitted: {duplicates}. Please ensure "
                "the request contains only one param value per param key."
            )
        with self._lock:
            run = self._active_run(run_id)
            self._set_params(run, parsed_params)
            for metric in parsed_metrics:
                self._add_metric(run, metric)
            for key, value in parsed_tags:
                self._set_tag(run, key, value)

    def log_inputs(self, run_id: Any, datasets: list[Mapping[str, Any]] | None = None) -> None:
        """Record dataset inputs (``{"dataset": {...}, "tags": [...]}`` each) on a run."""
        with self._lock:
            run = self._active_run(run_id)
            for item in datasets or []:
                given = dict(item.get("dataset") or {})
                # The real server answers the required proto fields in this order, "" if unset.
                dataset = {k: given.pop(k, "") for k in ("name", "digest", "source_type", "source")}
                dataset.update(given)
                entry: dict[str, Any] = {}
                if item.get("tags"):
                    entry["tags"] = [dict(t) for t in item["tags"]]
                entry["dataset"] = dataset
                ident = (dataset.get("name"), dataset.get("digest"))
                run.inputs = [
                    e
                    for e in run.inputs
                    if (e["dataset"].get("name"), e["dataset"].get("digest")) != ident
                ]
                run.inputs.append(entry)

    def get_metric_history(
        self, run_id: Any, key: Any, max_results: Any = None, page_token: str | None = None
    ) -> dict[str, Any]:
        """Every value of one metric, ordered by ``(timestamp, step, value)``, paged.

        ``max_results`` unset means all of them; a non-positive one is an error (as on the
        real server: a page of 0 would page forever).
        """
        limit = _max_results(max_results, None)
        offset = decode_page_token(page_token)
        with self._lock:
            # Like the SQL store, an unknown run simply has no history.
            run = self.runs.get(run_id) if isinstance(run_id, str) else None
            history = sorted(
                run.metrics.get(str(key), []) if run else [],
                key=lambda m: (m.timestamp, m.step, _metric_order_value(m.value)),
            )
            end = len(history) if limit is None else offset + limit
            page = [metric_json(m) for m in history[offset:end]]
        out: dict[str, Any] = {}
        if page:
            out["metrics"] = page
        if end < len(history):
            out["next_page_token"] = encode_page_token(end)
        return out

    def search_runs(
        self,
        experiment_ids: Iterable[Any],
        filter_string: str | None = None,
        run_view_type: Any = "ACTIVE_ONLY",
        max_results: Any = 1000,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> dict[str, Any]:
        """Runs of the given experiments matching an MLflow filter string, sorted and paged."""
        view = _view_type(run_view_type)
        limit = _search_page_size(
            max_results,
            MAX_RESULTS_SEARCH_RUNS,
            "Invalid value for parameter 'max_results' supplied. It must be at most {maximum}, "
            "but got value {limit}",
        )
        offset = decode_page_token(page_token)
        wanted = {str(e) for e in experiment_ids}
        with self._lock:
            runs = [
                r
                for r in self.runs.values()
                if r.experiment_id in wanted and _stage_visible(r.lifecycle_stage, view)
            ]
            if filter_string or order_by:
                runs = _search_runs(runs, filter_string, order_by)
            else:
                runs.sort(key=lambda r: (-(r.start_time or 0), r.run_id))
            page = [run_json(r) for r in runs[offset : offset + limit]]
        out: dict[str, Any] = {}
        if page:
            out["runs"] = page
        if offset + limit < len(runs):
            out["next_page_token"] = encode_page_token(offset + limit)
        return out

    # --- artifacts -------------------------------------------------------------------

    def put_artifact(self, path: str, data: bytes) -> None:
        """Store (or replace) the file at ``path`` (relative to the artifact root)."""
        path = safe_artifact_path(path)
        if not path or path.endswith("/"):
            raise DetailError("Artifact path must include a filename (cannot end with '/').")
        with self._lock:
            self.artifacts[path] = bytes(data)

    def get_artifact(self, path: str) -> bytes:
        """The bytes of the file at ``path``; ``RESOURCE_DOES_NOT_EXIST`` when absent.

        A directory (the root, or a prefix of stored files) is a :class:`DetailError`
        (400 ``{"detail": ...}``), as the real server's artifact route answers it.
        """
        path = safe_artifact_path(path)
        key = path.rstrip("/")
        is_dir = False
        with self._lock:
            data = self.artifacts.get(key)
            if data is None:
                prefix = key + "/"
                is_dir = not key or any(k.startswith(prefix) for k in self.artifacts)
        if data is None:
            if is_dir:
                raise DetailError(f"Artifact path refers to a directory, not a file: '{path}'")
            raise not_found(f"No such artifact: '{path}'")
        return data

    def list_artifacts(self, path: str | None = None) -> dict[str, Any]:
        """The direct children of a directory: ``{"files": [{path, is_dir, file_size?}]}``."""
        prefix = safe_artifact_path(path).rstrip("/") + "/" if path else ""
        children: dict[str, int | None] = {}
        with self._lock:
            for key, data in self.artifacts.items():
                if not key.startswith(prefix):
                    continue
                head, sep, _ = key[len(prefix) :].partition("/")
                if sep:
                    children[head] = None
                elif head not in children:
                    children[head] = len(data)
        files: list[dict[str, Any]] = []
        for name in sorted(children):
            size = children[name]
            entry: dict[str, Any] = {"path": name, "is_dir": size is None}
            if size:  # the real server omits a zero size, as it omits a directory's
                entry["file_size"] = size
            files.append(entry)
        return {"files": files} if files else {}

    def delete_artifacts(self, path: str) -> None:
        """Delete the file or directory tree at ``path`` (absent paths are fine)."""
        path = safe_artifact_path(path).rstrip("/")
        with self._lock:
            for key in [k for k in self.artifacts if k == path or k.startswith(path + "/")]:
                del self.artifacts[key]

    # --- snapshots for the test-facing views -----------------------------------------

    def snapshot(self) -> tuple[list[ExperimentRecord], list[RunRecord], dict[str, bytes]]:
        """Deep copies of all experiments, runs (creation order) and artifacts."""
        with self._lock:
            return (
                copy.deepcopy(list(self.experiments.values())),
                copy.deepcopy(list(self.runs.values())),
                dict(self.artifacts),
            )


def safe_artifact_path(path: str) -> str:
    """``path`` if it is a safe relative artifact path, else ``INVALID_PARAMETER_VALUE``."""
    if (
        "#" in path
        or "\\" in path
        or ".." in path.split("/")
        or path.startswith("/")
        or (len(path) >= 2 and path[1] == ":")
    ):
        raise invalid("Invalid path")
    return path


def _random_name() -> str:
    return f"{random.choice(_ADJECTIVES)}-{random.choice(_NOUNS)}-{random.randint(1, 999)}"


def _run_view(run: RunRecord) -> SimpleNamespace:
    info = SimpleNamespace(
        run_id=run.run_id,
        run_uuid=run.run_id,
        experiment_id=run.experiment_id,
        run_name=run.run_name,
        user_id=run.user_id,
        status=run.status,
        start_time=run.start_time,
        end_time=run.end_time,
        artifact_uri=run.artifact_uri,
        lifecycle_stage=run.lifecycle_stage,
    )
    data = SimpleNamespace(
        metrics={k: m.value for k, m in run.latest.items()},
        params=run.params,
        tags=run.tags,
    )
    dataset_inputs = [
        SimpleNamespace(
            dataset=SimpleNamespace(**{k: e["dataset"].get(k) for k in ("name", "digest")}),
            tags=[
                SimpleNamespace(key=t.get("key"), value=t.get("value")) for t in e.get("tags", [])
            ],
        )
        for e in run.inputs
    ]
    return SimpleNamespace(
        info=info, data=data, inputs=SimpleNamespace(dataset_inputs=dataset_inputs), record=run
    )


def _search_runs(
    runs: list[RunRecord], filter_string: str | None, order_by: list[str] | None
) -> list[RunRecord]:
    from mlflow.exceptions import MlflowException
    from mlflow.utils import search_utils

    utils: Any = search_utils.SearchUtils
    try:
        views = utils.filter([_run_view(r) for r in runs], filter_string)
        views = utils.sort(views, order_by or [])
    except MlflowException as exc:
        raise _mlflow_error(exc) from None
    return [v.record for v in views]


def _search_experiments(
    views: list[SimpleNamespace], filter_string: str | None, order_by: list[str] | None
) -> list[SimpleNamespace]:
    from mlflow.exceptions import MlflowException
    from mlflow.utils import search_utils

    utils: Any = search_utils.SearchExperimentsUtils
    try:
        views = utils.filter(views, filter_string)
        parsed = [
            utils.parse_order_by_for_search_experiments(o)
            for o in (order_by or ["creation_time DESC", "experiment_id ASC"])
        ]
    except MlflowException as exc:
        raise _mlflow_error(exc) from None
    for entity, _, _ in parsed:
        if entity != "attribute":  # e.g. ``tags.n``: parsed, but the SQL store cannot order by it
            raise invalid(f"Invalid order_by entity: {entity}")
    if not any(key == "experiment_id" for _, key, _ in parsed):
        parsed.append(("attribute", "experiment_id", False))
    for _, key, ascending in reversed(parsed):

        def sort_key(v: SimpleNamespace, key: str = key) -> Any:
            value = getattr(v, key)
            return int(value) if key == "experiment_id" else value

        views = sorted(views, key=sort_key, reverse=not ascending)
    return views
