"""The server facade and route table, called directly with FakeRequests (no HTTP)."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
import pytest

from pytest_orq_mlflow.fakeserver import FakeTrackingServer
from pytest_orq_mlflow.http import FakeResponse, Mounts

TOKEN = "test-token-123"  # what the conftest's fake_server accepts
REMOTE_BASE = "http://mlflow-cr.ns-abc:5000"


def call(
    server: FakeTrackingServer,
    method: str,
    path: str,
    body: Any = None,
    token: str | None = TOKEN,
    raw: bytes | None = None,
) -> FakeResponse:
    mounts = Mounts()
    mounts.mount(REMOTE_BASE, server)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
    found = mounts.build_request(method, REMOTE_BASE + path, headers, data)
    assert found is not None
    app, request = found
    return app(request)


def payload(response: FakeResponse) -> Any:
    return json.loads(response.body)


def test_create_and_get_run_shapes(fake_server: FakeTrackingServer) -> None:
    created = call(fake_server, "POST", "/api/2.0/mlflow/experiments/create", {"name": "e"})
    assert payload(created) == {"experiment_id": "1"}
    run = payload(
        call(
            fake_server,
            "POST",
            "/api/2.0/mlflow/runs/create",
            {"experiment_id": "1", "start_time": 17, "run_name": "r", "user_id": "u"},
        )
    )["run"]
    assert list(run) == ["info", "data", "inputs"]
    assert run["info"]["start_time"] == 17  # int64 as a JSON number, like the real server
    run_id = run["info"]["run_id"]
    got = call(fake_server, "GET", f"/api/2.0/mlflow/runs/get?run_id={run_id}")
    assert got.status == 200 and got.headers["Content-Type"] == "application/json"
    assert list(payload(got)["run"]) == ["info", "data", "inputs", "outputs"]


def test_ajax_api_prefix_is_served(fake_server: FakeTrackingServer) -> None:
    response = call(fake_server, "GET", "/ajax-api/2.0/mlflow/experiments/get?experiment_id=0")
    assert payload(response)["experiment"]["name"] == "Default"


def test_errors_carry_code_and_status(fake_server: FakeTrackingServer) -> None:
    response = call(fake_server, "GET", "/api/2.0/mlflow/runs/get?run_id=abc")
    assert response.status == 404
    assert payload(response)["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    response = call(fake_server, "POST", "/api/2.0/mlflow/experiments/create", {"name": "Default"})
    assert (response.status, payload(response)["error_code"]) == (400, "RESOURCE_ALREADY_EXISTS")
    response = call(fake_server, "POST", "/api/2.0/mlflow/runs/create", raw=b"not json")
    assert response.status == 400


def test_search_experiments_get_and_post(fake_server: FakeTrackingServer) -> None:
    get = payload(call(fake_server, "GET", "/api/2.0/mlflow/experiments/search?max_results=5"))
    post = payload(
        call(fake_server, "POST", "/api/2.0/mlflow/experiments/search", {"max_results": 5})
    )
    assert get == post and get["experiments"][0]["name"] == "Default"
    # unset, the proto's max_results is 0, which the real server's store rejects
    for response in (
        call(fake_server, "GET", "/api/2.0/mlflow/experiments/search"),
        call(fake_server, "POST", "/api/2.0/mlflow/experiments/search", {}),
    ):
        assert (response.status, payload(response)["error_code"]) == (
            400,
            "INVALID_PARAMETER_VALUE",
        )


def test_server_info_and_logged_models(fake_server: FakeTrackingServer) -> None:
    info = payload(call(fake_server, "GET", "/api/3.0/mlflow/server-info"))
    assert info["store_type"] == "SqlStore"
    models = call(
        fake_server, "POST", "/api/2.0/mlflow/logged-models/search", {"experiment_ids": ["0"]}
    )
    assert (models.status, payload(models)) == (200, {})


def test_artifact_endpoints(fake_server: FakeTrackingServer) -> None:
    base = "/api/2.0/mlflow-artifacts/artifacts"
    put = call(fake_server, "PUT", f"{base}/0/r/artifacts/dir/f%20x.txt", raw=b"hello")
    assert (put.status, put.body) == (200, b"")
    listing = call(fake_server, "GET", f"{base}?path=0%2Fr%2Fartifacts%2Fdir")
    assert payload(listing) == {"files": [{"path": "f x.txt", "is_dir": False, "file_size": 5}]}
    got = call(fake_server, "GET", f"{base}/0/r/artifacts/dir/f%20x.txt")
    assert (got.body, got.headers["Content-Type"]) == (b"hello", "text/plain")
    assert call(fake_server, "DELETE", f"{base}/0/r/artifacts/dir").status == 200
    missing = call(fake_server, "GET", f"{base}/0/r/artifacts/dir/f%20x.txt")
    assert missing.status == 404


def test_unhandled_endpoint_is_a_clear_404_and_recorded(fake_server: FakeTrackingServer) -> None:
    response = call(fake_server, "POST", "/api/2.0/mlflow/registered-models/create", {})
    assert response.status == 404
    body = payload(response)
    assert body["error_code"] == "ENDPOINT_NOT_FOUND"
    assert body["message"].startswith(
        "not implemented by the fake server: POST /api/2.0/mlflow/registered-models/create"
    )
    assert "POST /api/2.0/mlflow/runs/create" in body["message"]
    assert [r.path for r in fake_server.unhandled] == ["/api/2.0/mlflow/registered-models/create"]
    with pytest.raises(AssertionError, match="registered-models/create"):
        fake_server.assert_no_unhandled()


def test_missing_token_is_401_with_login_hint(fake_server: FakeTrackingServer) -> None:
    response = call(
        fake_server, "GET", "/api/2.0/mlflow/experiments/get?experiment_id=0", token=None
    )
    assert response.status == 401
    assert "orq login -s <cluster>" in payload(response)["message"]
    with pytest.raises(AssertionError, match="did not carry an accepted bearer token"):
        fake_server.assert_all_authenticated()


def test_wrong_token_is_401_and_never_echoed(fake_server: FakeTrackingServer) -> None:
    response = call(fake_server, "GET", "/api/3.0/mlflow/server-info", token="wrong-secret")
    assert response.status == 401
    assert "not accepted" in payload(response)["message"]
    assert b"wrong-secret" not in response.body
    assert "wrong-secret" not in repr(fake_server.requests)
    assert TOKEN not in repr(fake_server) and TOKEN not in repr(fake_server.requests)


def test_expired_jwt_is_401_saying_expired(fake_server: FakeTrackingServer) -> None:
    expired = jwt.encode(
        {"email": "a@b.c", "exp": int(time.time()) - 60}, "k" * 32, algorithm="HS256"
    )
    fake_server.accept_token(expired)
    response = call(fake_server, "GET", "/api/3.0/mlflow/server-info", token=expired)
    assert response.status == 401
    assert "expired" in payload(response)["message"]
    assert expired not in response.body.decode()


def test_revoked_token_and_auth_off(fake_server: FakeTrackingServer) -> None:
    fake_server.revoke_token(TOKEN)
    assert fake_server.accepted_tokens == frozenset()
    assert call(fake_server, "GET", "/api/3.0/mlflow/server-info").status == 401
    fake_server.require_auth = False
    assert call(fake_server, "GET", "/api/3.0/mlflow/server-info", token=None).status == 200


def test_recording_and_assert_requested(fake_server: FakeTrackingServer) -> None:
    call(fake_server, "POST", "/api/2.0/mlflow/experiments/create", {"name": "e"})
    request = fake_server.assert_requested("post", "experiments/create")
    assert request.status == 200 and json.loads(request.body) == {"name": "e"}
    assert request.url == REMOTE_BASE + "/api/2.0/mlflow/experiments/create"
    fake_server.assert_all_authenticated()
    with pytest.raises(AssertionError, match="requests seen:\n  - POST"):
        fake_server.assert_requested("GET", "runs/get")


def test_views_and_reset(fake_server: FakeTrackingServer) -> None:
    with pytest.raises(AssertionError, match="has no runs"):
        fake_server.only_run()
    for name in ("one", "two"):
        call(
            fake_server,
            "POST",
            "/api/2.0/mlflow/runs/create",
            {"experiment_id": "0", "run_name": name},
        )
    with pytest.raises(AssertionError, match=r"2 run\(s\):\n  - [0-9a-f]{32} name='one'"):
        fake_server.only_run()
    assert [r.run_name for r in fake_server.runs_in("Default")] == ["one", "two"]
    with pytest.raises(KeyError, match="no run 'x'"):
        fake_server.run("x")
    fake_server.reset()
    assert fake_server.runs == [] and fake_server.requests == []
    assert [e.name for e in fake_server.experiments] == ["Default"]
    assert fake_server.accepted_tokens == frozenset({TOKEN})


def test_health_wrong_method_and_experiment_tag_delete(fake_server: FakeTrackingServer) -> None:
    assert call(fake_server, "GET", "/health").body == b"OK"
    assert call(fake_server, "GET", "/api/2.0/mlflow/runs/create").status == 405
    tag = {"experiment_id": "0", "key": "k", "value": "v"}
    call(fake_server, "POST", "/api/2.0/mlflow/experiments/set-experiment-tag", tag)
    path = "/api/2.0/mlflow/experiments/delete-experiment-tag"
    assert call(fake_server, "POST", path, {"experiment_id": "0", "key": "k"}).status == 200
    assert call(fake_server, "POST", path, {"experiment_id": "0", "key": "k"}).status == 404


def _new_run(server: FakeTrackingServer) -> str:
    body = {"experiment_id": "0", "run_name": "r"}
    run = payload(call(server, "POST", "/api/2.0/mlflow/runs/create", body))
    return str(run["run"]["info"]["run_id"])


def test_unknown_enum_values_are_dropped_like_protobuf(fake_server: FakeTrackingServer) -> None:
    run_id = _new_run(fake_server)
    update = "/api/2.0/mlflow/runs/update"
    bogus = call(fake_server, "POST", update, {"run_id": run_id, "status": "BOGUS"})
    assert bogus.status == 200 and payload(bogus)["run_info"]["status"] == "RUNNING"
    assert call(fake_server, "POST", update, {"run_id": run_id, "status": "99"}).status == 200
    number = call(fake_server, "POST", update, {"run_id": run_id, "status": 99})
    assert (number.status, payload(number)["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    by_number = call(fake_server, "POST", update, {"run_id": run_id, "status": 3})
    assert payload(by_number)["run_info"]["status"] == "FINISHED"
    for view in ("SOMETIMES", 7):
        found = call(
            fake_server,
            "POST",
            "/api/2.0/mlflow/runs/search",
            {"experiment_ids": ["0"], "run_view_type": view},
        )
        assert found.status == 200 and len(payload(found)["runs"]) == 1


def test_create_run_needs_an_experiment_id_string(fake_server: FakeTrackingServer) -> None:
    create = "/api/2.0/mlflow/runs/create"
    missing = call(fake_server, "POST", create, {"run_name": "nowhere"})
    assert (missing.status, payload(missing)["error_code"]) == (400, "BAD_REQUEST")
    assert payload(missing)["error_class"] == "INVALID_PARAMETER_VALUE"
    number = call(fake_server, "POST", create, {"experiment_id": 0})
    assert (number.status, payload(number)["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    assert fake_server.runs == []


def test_max_results_0_is_rejected(fake_server: FakeTrackingServer) -> None:
    run_id = _new_run(fake_server)
    api = "/api/2.0/mlflow"
    history = f"{api}/metrics/get-history?run_id={run_id}&metric_key=m&max_results=0"
    search = call(
        fake_server, "POST", f"{api}/runs/search", {"experiment_ids": ["0"], "max_results": 0}
    )
    for response in (call(fake_server, "GET", history), search):
        assert (response.status, payload(response)["error_code"]) == (
            400,
            "INVALID_PARAMETER_VALUE",
        )
    # a max_results that does not parse stays unset (the handler does not type-check it)
    unparsed = call(fake_server, "GET", history.replace("max_results=0", "max_results=abc"))
    assert unparsed.status == 200


def test_get_of_an_artifact_directory_is_400_detail(fake_server: FakeTrackingServer) -> None:
    base = "/api/2.0/mlflow-artifacts/artifacts/0/r/artifacts"
    assert call(fake_server, "PUT", f"{base}/dir/inner/f.txt", raw=b"x").status == 200
    for path in (f"{base}/dir", f"{base}/dir/", "/api/2.0/mlflow-artifacts/artifacts/"):
        response = call(fake_server, "GET", path)
        assert response.status == 400 and list(payload(response)) == ["detail"]
    trailing = call(fake_server, "PUT", f"{base}/newdir/", raw=b"y")
    assert trailing.status == 400 and list(payload(trailing)) == ["detail"]
    listing = call(fake_server, "GET", "/api/2.0/mlflow-artifacts/artifacts?path=0/r/artifacts")
    assert payload(listing) == {"files": [{"path": "dir", "is_dir": True}]}


def test_malformed_fields_are_4xx_not_500(fake_server: FakeTrackingServer) -> None:
    run_id = _new_run(fake_server)
    api = "/api/2.0/mlflow"
    cases: list[tuple[str, dict[str, Any], int]] = [
        ("runs/delete-tag", {"run_id": run_id, "key": ["a"]}, 400),
        ("runs/delete-tag", {"run_id": run_id}, 400),
        ("experiments/delete-experiment-tag", {"experiment_id": "0", "key": {"a": 1}}, 400),
        ("runs/log-batch", {"run_id": run_id, "metrics": "x"}, 400),
        ("runs/log-batch", {"run_id": run_id, "params": [1]}, 400),
        ("runs/log-inputs", {"run_id": run_id, "datasets": 0}, 400),
        ("runs/log-inputs", {"run_id": run_id, "datasets": ["a"]}, 200),
        ("runs/create", {"experiment_id": "0", "tags": "x"}, 200),
        ("experiments/search", {"max_results": 5, "order_by": ["tags.n"]}, 400),
        ("experiments/search", {"max_results": 5, "view_type": [1]}, 400),
    ]
    for endpoint, body, status in cases:
        response = call(fake_server, "POST", f"{api}/{endpoint}", body)
        assert response.status == status, (endpoint, body, payload(response))
