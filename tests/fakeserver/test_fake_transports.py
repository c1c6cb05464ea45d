"""Both transports: routing, coexistence with user `responses` mocks, proxying, concurrency."""

from __future__ import annotations

import http.client
import io
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
import responses

from pytest_orq_mlflow.fakeserver import FakeTrackingServer
from pytest_orq_mlflow.http import FakeRequest, FakeResponse, Mounts
from pytest_orq_mlflow.transports import InProcessTransport, LoopbackTransport

BASE = "http://mlflow-cr.ns-abc:5000"


def echo(request: FakeRequest) -> FakeResponse:
    body = {"method": request.method, "path": request.path, "size": len(request.body)}
    return FakeResponse.json(body)


@pytest.fixture
def mounts() -> Mounts:
    table = Mounts()
    table.mount(BASE, echo)
    return table


@pytest.fixture
def loopback(mounts: Mounts) -> Iterator[LoopbackTransport]:
    with LoopbackTransport(mounts) as transport:
        yield transport


def test_importing_does_not_import_heavy_modules() -> None:
    code = (
        "import sys, pytest_orq_mlflow.fakeserver, pytest_orq_mlflow.transports;"
        "print([m for m in ('mlflow', 'requests', 'responses', 'jwt') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_in_process_serves_mounts_and_streams(mounts: Mounts) -> None:
    with InProcessTransport(mounts):
        got = requests.put(f"{BASE}/up", data=io.BytesIO(b"x" * 10000))
        assert got.json() == {"method": "PUT", "path": "/up", "size": 10000}
        streamed = requests.get(f"{BASE}/down", stream=True)
        assert json.loads(b"".join(streamed.iter_content(3)))["path"] == "/down"


def test_in_process_blocks_unmounted_urls(mounts: Mounts) -> None:
    with InProcessTransport(mounts), pytest.raises(requests.ConnectionError) as exc:
        requests.get("http://elsewhere.example/x")
    assert "GET http://elsewhere.example/x" in str(exc.value)
    assert BASE in str(exc.value)


def test_in_process_serves_mounts_added_after_start(mounts: Mounts) -> None:
    with InProcessTransport(mounts):
        mounts.mount("https://late.example/prefix", echo)
        assert requests.get("https://late.example/prefix/a").json()["path"] == "/a"


def test_user_mock_started_before_keeps_answering(mounts: Mounts) -> None:
    with responses.RequestsMock() as rsps:
        rsps.get("http://user.example/api", json={"user": True})
        with InProcessTransport(mounts):
            assert requests.get("http://user.example/api").json() == {"user": True}
            assert requests.get(f"{BASE}/x").json()["path"] == "/x"
            with pytest.raises(requests.ConnectionError, match="Connection refused by Responses"):
                requests.get("http://other.example/")
        assert len(rsps.calls) == 2  # ours never shows up in the user's calls


@responses.activate
def test_user_activate_started_after_still_reaches_fake(mounts: Mounts) -> None:
    # The transport was started before this test's ``@responses.activate`` mock in real use
    # (fixture first); here we start it inside, i.e. after, which is the same order.
    responses.get("http://user.example/api", json={"user": True})
    with InProcessTransport(mounts):
        with responses.RequestsMock(assert_all_requests_are_fired=False) as later:
            later.get("http://later.example/", json={"later": True})
            assert requests.get(f"{BASE}/y").json()["path"] == "/y"
            assert requests.get("http://later.example/").json() == {"later": True}
        assert requests.get(f"{BASE}/z").json()["path"] == "/z"
        assert requests.get("http://user.example/api").json() == {"user": True}


def test_transport_restores_requests_after_stop(mounts: Mounts) -> None:
    send = requests.adapters.HTTPAdapter.send
    get_adapter = requests.Session.get_adapter
    transport = InProcessTransport(mounts).start()
    with pytest.raises(RuntimeError, match="already started"):
        transport.start()
    transport.stop()
    transport.stop()
    assert requests.adapters.HTTPAdapter.send is send
    assert requests.Session.get_adapter is get_adapter


def test_loopback_origin_and_absolute_form(loopback: LoopbackTransport) -> None:
    loopback.mount_self(echo, "mlflow/ws")
    assert requests.get(f"{loopback.url}/mlflow/ws/a").json()["path"] == "/a"
    proxies = {"http": loopback.url}
    assert requests.get(f"{BASE}/b", proxies=proxies).json()["path"] == "/b"
    unknown = requests.get("http://nowhere.example/c", proxies=proxies)
    assert unknown.status_code == 502
    assert "http://nowhere.example/c" in unknown.json()["message"]


def test_loopback_chunked_body_and_keep_alive(loopback: LoopbackTransport) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", loopback.port)
    for _ in range(3):  # same connection each time
        connection.request(
            "POST", f"{BASE}/chunks", body=iter([b"ab", b"cde"]), encode_chunked=True
        )
        answer = connection.getresponse()
        assert json.loads(answer.read()) == {"method": "POST", "path": "/chunks", "size": 5}
    connection.close()


def test_loopback_concurrent_clients_lose_nothing() -> None:
    server = FakeTrackingServer(require_auth=False)
    mounts = Mounts()
    mounts.mount(BASE, server)
    with LoopbackTransport(mounts) as transport:
        proxies = {"http": transport.url}

        def one_run(i: int) -> str:
            with requests.Session() as session:
                created = session.post(
                    f"{BASE}/api/2.0/mlflow/runs/create",
                    json={"experiment_id": "0", "run_name": f"r{i}"},
                    proxies=proxies,
                ).json()
                run_id = created["run"]["info"]["run_id"]
                for step in range(10):
                    session.post(
                        f"{BASE}/api/2.0/mlflow/runs/log-metric",
                        json={
                            "run_id": run_id,
                            "key": "m",
                            "value": step,
                            "timestamp": step,
                            "step": step,
                        },
                        proxies=proxies,
                    ).raise_for_status()
                return str(run_id)

        with ThreadPoolExecutor(max_workers=50) as pool:
            run_ids = list(pool.map(one_run, range(50)))
    assert len(set(run_ids)) == 50
    assert all(len(server.run(r).metric_history("m")) == 10 for r in run_ids)


def test_subprocess_reaches_fake_host_through_proxy(tmp_path: Path) -> None:
    server = FakeTrackingServer()
    server.accept_token("sub-token")
    mounts = Mounts()
    mounts.mount(BASE, server)
    script = textwrap.dedent(
        """
        import mlflow
        mlflow.set_experiment("from-subprocess")
        with mlflow.start_run(run_name="child"):
            mlflow.log_param("p", "v")
            mlflow.log_metric("m", 1.5)
            mlflow.log_text("hello", "notes.txt")
        """
    )
    with LoopbackTransport(mounts) as transport:
        env = {
            **os.environ,
            **transport.proxy_env,
            "MLFLOW_TRACKING_URI": BASE,
            "MLFLOW_TRACKING_TOKEN": "sub-token",
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
            "MLFLOW_HTTP_REQUEST_TIMEOUT": "5",
        }
        result = subprocess.run(
            [sys.executable, "-c", script],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 0, result.stderr
    run = server.only_run()
    assert (run.experiment_name, run.params, run.metrics) == (
        "from-subprocess",
        {"p": "v"},
        {"m": 1.5},
    )
    assert run.artifacts == {"notes.txt": b"hello"}
    server.assert_all_authenticated()
