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

from pytest_orq_mlflow.fakeserver.backend import TrackingBackend
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


# --- experiments ------------------------------------------------------------------------


def create_experiment(b: TrackingBackend, r: FakeRequest, _: str) -> FakeResponse:
    """``POST experiments/create``."""
    a = args(r)
    exp_id = b.create_experiment(
        _required(a, "name"), a.get("artifact_location") or None, _list(a.get("tags"))
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
    return json_response(
        b.search_experiments(
            view_type=a.get("view_type"),
            filter_string=a.get("filter") or None,
            order_by=_list(a.get("order_by")) or None,
            max_results=a.get("max_results"),
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
    run = b.create_run(
        experiment_id=a.get("experiment_id") or "0",
        user_id=a.get("user_id") or "",
        start_time=a.get("start_time"),
        tags=_list(a.get("tags")),
        run_name=a.get("run_name") or None,
    )
    return json_response({"run": run})


def get_run(b: TrackingBackend, r: FakeRequest, _: str) -> FakeResponse:
    """``GET runs/get``."""
    return json_response({"run": b.get_run(_run_id(args(r)))})


def update_run(b: TrackingBackend, r: FakeRequest, _: str) -> FakeResponse:
    """``POST runs/update``."""
    a = args(r)
    info = b.update_run(_run_id(a), a.get("status"), a.get("end_time"), a.get("run_name"))
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
    return json_response(
        b.search_runs(
            experiment_ids=_list(a.get("experiment_ids")),
            filter_string=a.get("filter") or None,
            run_view_type=a.get("run_view_type"),
            max_results=a.get("max_results"),
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
    b.delete_tag(_run_id(a), a.get("key"))
    return _empty()


def log_batch(b: TrackingBackend, r: FakeRequest, _: str) -> FakeResponse:
    """``POST runs/log-batch``."""
    a = args(r)
    b.log_batch(_run_id(a), _list(a.get("metrics")), _list(a.get("params")), _list(a.get("tags")))
    return _empty()


def log_inputs(b: TrackingBackend, r: FakeRequest, _: str) -> FakeResponse:
    """``POST runs/log-inputs``."""
    a = args(r)
    b.log_inputs(_run_id(a), _list(a.get("datasets")))
    return _empty()


def get_metric_history(b: TrackingBackend, r: FakeRequest, _: str) -> FakeResponse:
    """``GET metrics/get-history``."""
    a = args(r)
    return json_response(
        b.get_metric_history(
            _run_id(a),
            _required(a, "metric_key"),
            a.get("max_results"),
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
    b.delete_experiment_tag(_required(a, "experiment_id"), a.get("key"))
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
    """The handler for ``method path`` and its artifact path argument (``""`` if none)."""
    handler = ROUTES.get((method, path))
    if handler is not None:
        return handler, ""
    if path.startswith(ARTIFACTS + "/"):
        handler = ARTIFACT_ROUTES.get(method)
        if handler is not None:
            return handler, unquote(path[len(ARTIFACTS) + 1 :])
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
    path = request.path
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/")
    found = find_route(request.method, path)
    if found is None:
        return None
    handler, sub_path = found
    try:
        return handler(backend, request, sub_path)
    except MlflowApiError as exc:
        return error_response(exc)
