"""The route table: MLflow REST endpoints (method, path) -> handlers over a :class:`TrackingBackend`.

Every endpoint lives under ``/api/2.0/mlflow/`` and, like on the real server,
also under ``/ajax-api/2.0/mlflow/``. Artifacts are served the way ``mlflow
server --artifacts-destination`` serves them (``/api/2.0/mlflow-artifacts/``).
A request no route answers gets ``404 ENDPOINT_NOT_FOUND`` with a message that
names it and lists what is implemented (404 because MLflow's client retries
429 and 5xx answers, and an unimplemented endpoint must fail at once).
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from pytest_orq_mlflow.fakeserver.backend import RUN_STATUSES, VIEW_TYPES, TrackingBackend
from pytest_orq_mlflow.fakeserver.errors import MlflowApiError, invalid
from pytest_orq_mlflow.http import FakeRequest, FakeResponse

Handler = Callable[[TrackingBackend, FakeRequest, str], FakeResponse]

API = "/api/2.0/mlflow"
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"
_JSON_HEADERS = {"Content-Type": "application/json"}
_REPEATED = frozenset({"experiment_ids", "order_by", "run_ids"})

#: What ``GET /api/3.0/mlflow/server-info`` answers (as ``mlflow server`` 3.17 with SQLite).
SERVER_INFO: dict[str, Any] = {
    "store_type": "SqlStore",
    "workspaces_enabled": False,
    "trace_archival_enabled": False,
    "multipart_uploads_enabled": False,
    "multipart_downloads_enabled": False,
    "presigned_upload_run_id_supported": True,
    "presigned_upload_model_id_supported": True,
    "features_enabled": {"gateway": True},
}


def json_response(payload: Any, status: int = 200) -> FakeResponse:
    """A compact JSON answer."""
    return FakeResponse(
        status=status,
        body=json.dumps(payload, separators=(",", ":")).encode(),
        headers=dict(_JSON_HEADERS),
    )


def error_response(error: MlflowApiError) -> FakeResponse:
    """The real server's JSON error body with its HTTP status."""
    return json_response(error.to_json(), error.http_status)


_EMPTY = b"{}"


def _empty() -> FakeResponse:
    return FakeResponse(200, _EMPTY, dict(_JSON_HEADERS))


def args(request: FakeRequest) -> dict[str, Any]:
    """The request's message: the JSON body, or the query string for GET/DELETE."""
    if request.method in ("GET", "DELETE") or not request.body:
        return {
            k: (v if k in _REPEATED else v[-1]) for k, v in request.query.items() if v is not None
        }
    try:
        data = request.json()
    except ValueError:
        raise invalid("Malformed request body: it is not valid JSON.") from None
    if not isinstance(data, dict):
        raise invalid("Malformed request body: expected a JSON object.")
    return data


def _run_id(a: dict[str, Any]) -> Any:
    run_id = a.get("run_id") or a.get("run_uuid")
    if not run_id:
        raise invalid(
            "Missing value for required parameter 'run_id'. See the API docs for more "
            "information about request parameters."
        )
    return run_id


def _required(a: dict[str, Any], key: str) -> Any:
    value = a.get(key)
    if value is None or value == "":
        raise invalid(
            f"Missing value for required parameter '{key}'. See the API docs for more "
            "information about request parameters."
        )
    return value


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


# --- protobuf-style field parsing -------------------------------------------------------
#
# The real server parses a request into its proto message with ``ParseDict(...,
# ignore_unknown_fields=True)``: an unknown enum *name* is dropped (the field stays unset),
# while a value that does not parse (an unknown enum number, ``1.5`` for an integer) fails
# the parse, the field stays unset, and the handler's type checks then run on the raw
# values (``Invalid value ... Hint: Value was of type ...``).

#: A field whose value failed protobuf parsing.
_UNPARSED: Any = object()


def _type_error(param: str, value: Any) -> Exception:
    """The handler's type-check failure for ``param``, worded as the real server words it."""
    shown = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return invalid(
        f"Invalid value {shown} for parameter '{param}' supplied:  Hint: Value was of type "
        f"'{type(value).__name__}'. See the API docs for more information about request "
        "parameters."
    )


def _intlike(value: Any) -> bool:
    """``mlflow.server.handlers._assert_intlike`` (``int(value)`` works)."""
    try:
        int(value)
    except (TypeError, ValueError):
        return False
    return True


def _int64(value: Any) -> Any:
    """An int64 field as protobuf parses it from JSON: ``None`` if unset, ``_UNPARSED``."""
    if value is None:
        return None
    if isinstance(value, bool):
        return _UNPARSED
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else _UNPARSED
    if isinstance(value, str) and " " not in value:
        try:
            return int(value)
        except ValueError:
            try:
                number = float(value)
            except ValueError:
                return _UNPARSED
            return int(number) if number.is_integer() else _UNPARSED
    return _UNPARSED


def _string(a: dict[str, Any], key: str) -> str:
    """A required string field: missing or empty, or not a string, is a 400."""
    value = _required(a, key)
    if not isinstance(value, str):
        raise _type_error(key, value)
    return value


def _messages(a: dict[str, Any], key: str, *, checked: bool) -> list[Any]:
    """A repeated message field: a list of JSON objects (``[]`` when unset).

    Anything else fails the parse: a 400 where the handler type-checks the field as an
    array (``checked``) and it is not one, else the field stays unset (``[]``).
    """
    value = a.get(key)
    if value is None:
        return []
    if isinstance(value, list):
        if all(isinstance(item, dict) for item in value):
            return value
        if checked:  # the real server fails with a 500 here; a 400 is the closest 4xx
            raise _type_error(key, value)
        return []
    if checked:
        raise _type_error(key, value)
    return []


def _enum(value: Any, names: tuple[str, ...]) -> Any:
    """An enum field (``names`` in proto number order, from 1) as protobuf parses it.

    A known name or number gives the name; an unknown name is dropped (``None``); an
    unknown number or a value of another type is ``_UNPARSED``.
    """
    if value is None:
        return None
    if isinstance(value, str) and value in names:
        return value
    try:
        number = int(value)
    except ValueError:
        return None
    except TypeError:
        return _UNPARSED
    return names[number - 1] if 1 <= number <= len(names) else _UNPARSED


# --- experiments ------------------------------------------------------------------------


def create_experiment(b: TrackingBackend, r: FakeRequest, _: str) -> FakeResponse:
    """``POST experiments/create``."""
    a = args(r)
    exp_id = b.create_experiment(
        _required(a, "name"),
        a.get("artifact_location") or None,
        _messages(a, "tags", checked=False),
    )
    return json_response({"experiment_id": exp_id})


def get_experiment(b: TrackingBackend, r: FakeRequest, _: str) -> FakeResponse:
    """``GET experiments/get``."""
    return json_response({"experiment": b.get_experiment(_required(args(r), "experiment_id"))})


def get_experiment_by_name(b: TrackingBackend, r: FakeRequest, _: str) -> FakeResponse:
    """``GET experiments/get-by-name``."""
    name = _required(args(r), "experiment_name")
    return json_response({"experiment": b.get_experiment_by_name(name)})


def search_experiments(b: TrackingBackend, r: FakeRequest, _: str) -> FakeResponse:
    """``GET|POST experiments/search``."""
    a = args(r)
    view_type = _enum(a.get("view_type"), VIEW_TYPES)
    max_results = _int64(a.get("max_results"))
    for key, value in (("view_type", view_type), ("max_results", max_results)):
        if value is _UNPARSED and not _intlike(a[key]):
            raise _type_error(key, a[key])
    return json_response(
        b.search_experiments(
            view_type=None if view_type is _UNPARSED else view_type,
            filter_string=a.get("filter") or None,
            order_by=_list(a.get("order_by")) or None,
            # unset, the proto's max_results is 0, which the store rejects
            max_results=0 if max_results in (None, _UNPARSED) else max_results,
            page_token=a.get("page_token") or None,
        )
    )


def update_experiment(b: TrackingBackend, r: FakeRequest, _: str) -> FakeResponse:
    """``POST experiments/update``."""
    a = args(r)
    b.update_experiment(_required(a, "experiment_id"), a.get("new_name"))
    return _empty()


def delete_experiment(b: TrackingBackend, r: FakeRequest, _: str) -> FakeResponse:
    """``POST experiments/delete``."""
    b.delete_experiment(_required(args(r), "experiment_id"))
    return _empty()


def restore_experiment(b: TrackingBackend, r: FakeRequest, _: str) -> FakeResponse:
    """``POST experiments/restore``."""
    b.restore_experiment(_required(args(r), "experiment_id"))
    return _empty()


def set_experiment_tag(b: TrackingBackend, r: FakeRequest, _: str) -> FakeResponse:
    """``POST experiments/set-experiment-tag``."""
    a = args(r)
    b.set_experiment_tag(_required(a, "experiment_id"), a.get("key"), a.get("value"))
    return _empty()


# --- runs -------------------------------------------------------------------------------


def create_run(b: TrackingBackend, r: FakeRequest, _: str) -> FakeResponse:
    """``POST runs/create``."""
    a = args(r)
    experiment_id = a.get("experiment_id")
    if experiment_id is not None and not isinstance(experiment_id, str):
        raise _type_error("experiment_id", experiment_id)
    run = b.create_run(
        experiment_id=experiment_id or "",
        user_id=a.get("user_id") or "",
        start_time=a.get("start_time"),
        tags=_messages(a, "tags", checked=False),
        run_name=a.get("run_name") or None,
    )
    return json_response({"run": run})


def get_run(b: TrackingBackend, r: FakeRequest, _: str) -> FakeResponse:
    """``GET runs/get``."""
    return json_response({"run": b.get_run(_run_id(args(r)))})


def update_run(b: TrackingBackend, r: FakeRequest, _: str) -> FakeResponse:
    """``POST runs/update``."""
    a = args(r)
    status = _enum(a.get("status"), RUN_STATUSES)
    if status is _UNPARSED:
        if not isinstance(a["status"], str):
            raise _type_error("status", a["status"])
        status = None
    info = b.update_run(_run_id(a), status, a.get("end_time"), a.get("run_name"))
    return json_response({"run_info": info})


def delete_run(b: TrackingBackend, r: FakeRequest, _: str) -> FakeResponse:
    """``POST runs/delete``."""
    b.delete_run(_run_id(args(r)))
    return _empty()


def restore_run(b: TrackingBackend, r: FakeRequest, _: str) -> FakeResponse:
    """``POST runs/restore``."""
    b.restore_run(_run_id(args(r)))
    return _empty()


def search_runs(b: TrackingBackend, r: FakeRequest, _: str) -> FakeResponse:
    """``POST runs/search``."""
    a = args(r)
    view_type = _enum(a.get("run_view_type"), VIEW_TYPES)
    max_results = _int64(a.get("max_results"))
    if max_results is _UNPARSED:
        if not _intlike(a["max_results"]):
            raise _type_error("max_results", a["max_results"])
        max_results = None
    return json_response(
        b.search_runs(
            experiment_ids=_list(a.get("experiment_ids")),
            filter_string=a.get("filter") or None,
            run_view_type=None if view_type is _UNPARSED else view_type,
            # unset, the proto's max_results is its default, 1000
            max_results=1000 if max_results is None else max_results,
            order_by=_list(a.get("order_by")) or None,
            page_token=a.get("page_token") or None,
        )
    )


def log_metric(b: TrackingBackend, r: FakeRequest, _: str) -> FakeResponse:
    """``POST runs/log-metric``."""
    a = args(r)
    b.log_metric(_run_id(a), a.get("key"), a.get("value"), a.get("timestamp"), a.get("step"))
    return _empty()


def log_param(b: TrackingBackend, r: FakeRequest, _: str) -> FakeResponse:
    """``POST runs/log-parameter``."""
    a = args(r)
    b.log_param(_run_id(a), a.get("key"), a.get("value"))
    return _empty()


def set_tag(b: TrackingBackend, r: FakeRequest, _: str) -> FakeResponse:
    """``POST runs/set-tag``."""
    a = args(r)
    b.set_tag(_run_id(a), a.get("key"), a.get("value"))
    return _empty()


def delete_tag(b: TrackingBackend, r: FakeRequest, _: str) -> FakeResponse:
    """``POST runs/delete-tag``."""
    a = args(r)
    b.delete_tag(_run_id(a), _string(a, "key"))
    return _empty()


def log_batch(b: TrackingBackend, r: FakeRequest, _: str) -> FakeResponse:
    """``POST runs/log-batch``."""
    a = args(r)
    b.log_batch(
        _run_id(a),
        _messages(a, "metrics", checked=True),
        _messages(a, "params", checked=True),
        _messages(a, "tags", checked=True),
    )
    return _empty()


def log_inputs(b: TrackingBackend, r: FakeRequest, _: str) -> FakeResponse:
    """``POST runs/log-inputs``."""
    a = args(r)
    if a.get("datasets") is not None and not isinstance(a["datasets"], list):
        raise _type_error("datasets", a["datasets"])
    datasets = _messages(a, "datasets", checked=False)
    if not all(
        isinstance(d.get("dataset"), dict | None) and isinstance(d.get("tags"), list | None)
        for d in datasets
    ) or not all(isinstance(t, dict) for d in datasets for t in d.get("tags") or []):
        datasets = []  # a malformed dataset input fails the parse: nothing is logged
    b.log_inputs(_run_id(a), datasets)
    return _empty()


def get_metric_history(b: TrackingBackend, r: FakeRequest, _: str) -> FakeResponse:
    """``GET metrics/get-history``."""
    a = args(r)
    max_results = _int64(a.get("max_results"))
    return json_response(
        b.get_metric_history(
            _run_id(a),
            _required(a, "metric_key"),
            # the handler has no type check for it: one that does not parse stays unset
            None if max_results is _UNPARSED else max_results,
            a.get("page_token") or None,
        )
    )


def search_logged_models(b: TrackingBackend, r: FakeRequest, _: str) -> FakeResponse:
    """``POST logged-models/search``: the fake stores no logged models, so ``{}``."""
    _required(args(r), "experiment_ids")
    return _empty()


def delete_experiment_tag(b: TrackingBackend, r: FakeRequest, _: str) -> FakeResponse:
    """``POST experiments/delete-experiment-tag``."""
    a = args(r)
    b.delete_experiment_tag(_required(a, "experiment_id"), _string(a, "key"))
    return _empty()


def health(b: TrackingBackend, r: FakeRequest, _: str) -> FakeResponse:
    """``GET /health``: ``OK``, like the real server."""
    return FakeResponse(200, b"OK", {"Content-Type": "text/plain; charset=utf-8"})


def server_info(b: TrackingBackend, r: FakeRequest, _: str) -> FakeResponse:
    """``GET /api/3.0/mlflow/server-info``."""
    return json_response(SERVER_INFO)


# --- artifacts --------------------------------------------------------------------------


def list_artifacts(b: TrackingBackend, r: FakeRequest, _: str) -> FakeResponse:
    """``GET mlflow-artifacts/artifacts?path=...``."""
    path = args(r).get("path")
    return json_response(b.list_artifacts(path or None))


def download_artifact(b: TrackingBackend, r: FakeRequest, path: str) -> FakeResponse:
    """``GET mlflow-artifacts/artifacts/<path>``."""
    data = b.get_artifact(path)
    kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
    return FakeResponse(200, data, {"Content-Type": kind, "Content-Length": str(len(data))})


def upload_artifact(b: TrackingBackend, r: FakeRequest, path: str) -> FakeResponse:
    """``PUT mlflow-artifacts/artifacts/<path>``: an empty 200, like the real server."""
    b.put_artifact(path, r.body)
    return FakeResponse(200, b"", {})


def delete_artifact(b: TrackingBackend, r: FakeRequest, path: str) -> FakeResponse:
    """``DELETE mlflow-artifacts/artifacts/<path>``."""
    b.delete_artifacts(path)
    return _empty()


_ENDPOINTS: dict[tuple[str, str], Handler] = {
    ("POST", "experiments/create"): create_experiment,
    ("GET", "experiments/get"): get_experiment,
    ("GET", "experiments/get-by-name"): get_experiment_by_name,
    ("GET", "experiments/search"): search_experiments,
    ("POST", "experiments/search"): search_experiments,
    ("POST", "experiments/update"): update_experiment,
    ("POST", "experiments/delete"): delete_experiment,
    ("POST", "experiments/restore"): restore_experiment,
    ("POST", "experiments/set-experiment-tag"): set_experiment_tag,
    ("POST", "experiments/delete-experiment-tag"): delete_experiment_tag,
    ("POST", "runs/create"): create_run,
    ("GET", "runs/get"): get_run,
    ("POST", "runs/update"): update_run,
    ("POST", "runs/delete"): delete_run,
    ("POST", "runs/restore"): restore_run,
    ("POST", "runs/search"): search_runs,
    ("POST", "runs/log-metric"): log_metric,
    ("POST", "runs/log-parameter"): log_param,
    ("POST", "runs/set-tag"): set_tag,
    ("POST", "runs/delete-tag"): delete_tag,
    ("POST", "runs/log-batch"): log_batch,
    ("POST", "runs/log-inputs"): log_inputs,
    ("GET", "metrics/get-history"): get_metric_history,
    ("POST", "logged-models/search"): search_logged_models,
}

#: Exact (method, path) routes.
ROUTES: dict[tuple[str, str], Handler] = {}
for (_method, _sub), _handler in _ENDPOINTS.items():
    ROUTES[(_method, f"{API}/{_sub}")] = _handler
    ROUTES[(_method, f"/ajax-api/2.0/mlflow/{_sub}")] = _handler
ROUTES[("GET", "/api/3.0/mlflow/server-info")] = server_info
ROUTES[("GET", "/ajax-api/3.0/mlflow/server-info")] = server_info
ROUTES[("GET", ARTIFACTS)] = list_artifacts
ROUTES[("GET", "/health")] = health

#: Routes on an artifact path below ``ARTIFACTS + "/"``.
ARTIFACT_ROUTES: dict[str, Handler] = {
    "GET": download_artifact,
    "PUT": upload_artifact,
    "DELETE": delete_artifact,
}


def implemented() -> list[str]:
    """Every implemented endpoint as ``METHOD /path`` (API paths only), sorted."""
    names = [f"{m} {p}" for (m, p) in ROUTES if not p.startswith("/ajax-api/")]
    names += [f"{m} {ARTIFACTS}/<path>" for m in ARTIFACT_ROUTES]
    return sorted(names)


def find_route(method: str, path: str) -> tuple[Handler, str] | None:
    """The handler for ``method path`` and its artifact path argument (``""`` if none).

    Trailing slashes are ignored, except in an artifact path (``GET .../artifacts/dir/``
    is a download of a directory, as on the real server).
    """
    handler = ROUTES.get((method, path))
    if handler is not None:
        return handler, ""
    if path.startswith(ARTIFACTS + "/"):
        handler = ARTIFACT_ROUTES.get(method)
        if handler is not None:
            return handler, unquote(path[len(ARTIFACTS) + 1 :])
    if len(path) > 1 and path.endswith("/"):
        handler = ROUTES.get((method, path.rstrip("/")))
        if handler is not None:
            return handler, ""
    return None


def not_implemented(method: str, path: str) -> FakeResponse:
    """The answer for an endpoint the fake does not implement (405 if only the method is wrong)."""
    if any(p == path.rstrip("/") for (_, p) in ROUTES):
        return json_response(
            {
                "error_code": "BAD_REQUEST",
                "message": f"method {method} is not allowed for {path} on the fake server",
            },
            405,
        )
    message = (
        f"not implemented by the fake server: {method} {path} "
        f"(implemented: {', '.join(implemented())})"
    )
    return json_response({"error_code": "ENDPOINT_NOT_FOUND", "message": message}, 404)


def dispatch(backend: TrackingBackend, request: FakeRequest) -> FakeResponse | None:
    """Answer ``request`` from the route table; ``None`` when no route matches."""
    found = find_route(request.method, request.path)
    if found is None:
        return None
    handler, sub_path = found
    try:
        return handler(backend, request, sub_path)
    except MlflowApiError as exc:
        return error_response(exc)
