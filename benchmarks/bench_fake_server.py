"""How fast is the fake tracking server compared with the alternatives?

Runs one realistic body (a run with 10 params, 100 metrics logged one by one,
one 10 kB artifact) with the real MLflow client against:

* a no-op ``responses`` stub answering every request with a minimal body (the floor),
* the fake server in-process, and over the loopback transport,
* a fresh SQLite store (new file each time) and a warm one,
* a warm real ``mlflow server`` (started once as a subprocess).

Prints the median time of a few repeats and ratios in one table, then the
fixture-like set-up time and a 10,000-metric ``log_batch`` against the fake.

Usage: ``python benchmarks/bench_fake_server.py [--repeats N] [--no-real-server]``
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
os.environ.pop("MLFLOW_TRACKING_TOKEN", None)

import mlflow
import responses
from mlflow import MlflowClient
from mlflow.entities import Metric
from mlflow.tracking import fluent
from mlflow.tracking._tracking_service import utils as tracking_utils

from pytest_orq_mlflow.fakeserver import FakeTrackingServer
from pytest_orq_mlflow.http import Mounts
from pytest_orq_mlflow.transports import InProcessTransport, LoopbackTransport

BASE = "http://mlflow-cr.ns-bench:5000"
ARTIFACT = os.urandom(10 * 1024)


def body(workdir: Path) -> None:
    """The measured workload."""
    path = workdir / "artifact.bin"
    path.write_bytes(ARTIFACT)
    mlflow.set_experiment("bench")
    with mlflow.start_run(run_name="bench"):
        for i in range(10):
            mlflow.log_param(f"p{i}", i)
        for step in range(100):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        mlflow.log_artifact(str(path))


def reset_mlflow(uri: str) -> None:
    """Point MLflow at ``uri`` with no leftover run, experiment or cached URI."""
    while mlflow.active_run() is not None:
        mlflow.end_run()
    fluent._active_experiment_id = None
    tracking_utils._tracking_uri = None
    os.environ.pop("MLFLOW_EXPERIMENT_ID", None)
    os.environ["MLFLOW_TRACKING_URI"] = uri


def timed(run: Callable[[], None], repeats: int) -> float:
    """Median seconds of ``repeats`` calls."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# --- targets ------------------------------------------------------------------------------


def _stub_callback(request: Any) -> tuple[int, dict[str, str], str]:
    path = request.path_url.split("?")[0]
    run_info = {
        "run_uuid": "a" * 32,
        "run_id": "a" * 32,
        "experiment_id": "1",
        "run_name": "bench",
        "user_id": "",
        "status": "RUNNING",
        "start_time": 1,
        "artifact_uri": "mlflow-artifacts:/1/" + "a" * 32 + "/artifacts",
        "lifecycle_stage": "active",
    }
    experiment = {
        "experiment_id": "1",
        "name": "bench",
        "artifact_location": "mlflow-artifacts:/1",
        "lifecycle_stage": "active",
    }
    answer: dict[str, Any] = {}
    if path.endswith("experiments/get-by-name") or path.endswith("experiments/get"):
        answer = {"experiment": experiment}
    elif path.endswith("runs/create") or path.endswith("runs/get"):
        answer = {"run": {"info": run_info, "data": {}, "inputs": {}}}
    elif path.endswith("runs/update"):
        answer = {"run_info": run_info}
    return 200, {"Content-Type": "application/json"}, json.dumps(answer)


@contextmanager
def floor_stub() -> Iterator[str]:
    """A ``responses`` stub answering everything with a minimal valid body."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        for method in ("GET", "POST", "PUT"):
            rsps.add_callback(method, re.compile(r"http://.*"), callback=_stub_callback)
        yield BASE


@contextmanager
def fake_in_process() -> Iterator[str]:
    """The fake server through the in-process transport."""
    server = FakeTrackingServer(require_auth=False)
    mounts = Mounts()
    mounts.mount(BASE, server)
    with InProcessTransport(mounts):
        yield BASE


@contextmanager
def fake_loopback() -> Iterator[str]:
    """The fake server through the loopback transport (origin-form requests)."""
    server = FakeTrackingServer(require_auth=False)
    with LoopbackTransport(Mounts()) as transport:
        yield transport.mount_self(server)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def real_server(workdir: Path) -> Iterator[str]:
    """A real ``mlflow server`` with SQLite and proxied artifacts, started once."""
    port = _free_port()
    cmd = [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--backend-store-uri",
        f"sqlite:///{workdir / 'server.db'}",
        "--artifacts-destination",
        str(workdir / "server-artifacts"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=workdir)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("mlflow server did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def measure(name: str, target: Any, workdir: Path, repeats: int, results: dict[str, float]) -> None:
    """Run ``body`` against ``target`` (once to warm up, then ``repeats`` times)."""
    with target as uri:

        def once() -> None:
            reset_mlflow(uri)
            body(workdir)

        once()  # warm-up: imports, sessions, first experiment
        results[name] = timed(once, repeats)
    reset_mlflow("")
    print(f"  {name:<22} {results[name] * 1000:8.1f} ms", flush=True)


def fresh_sqlite(workdir: Path, repeats: int) -> float:
    """A new SQLite file per repeat (schema creation included)."""
    times = []
    for i in range(repeats):
        db = workdir / f"fresh-{i}"
        db.mkdir()
        reset_mlflow(f"sqlite:///{db / 'm.db'}")
        start = time.perf_counter()
        body(db)
        times.append(time.perf_counter() - start)
    reset_mlflow("")
    return statistics.median(times)


@contextmanager
def warm_sqlite(workdir: Path) -> Iterator[str]:
    """One SQLite file, reused."""
    yield f"sqlite:///{workdir / 'warm.db'}"


def setup_time(repeats: int = 200) -> float:
    """Median seconds to build a server + mounts and start/stop the in-process transport."""

    def once() -> None:
        server = FakeTrackingServer()
        server.accept_token("t")
        mounts = Mounts()
        mounts.mount(BASE, server)
        mounts.mount("https://prod-d.orquestra.io/mlflow/ws", server)
        InProcessTransport(mounts).start().stop()

    once()
    return timed(once, repeats)


def big_batch() -> tuple[float, int]:
    """Seconds and peak traced bytes for 10,000 metrics via ``log_batch`` against the fake."""
    with fake_in_process() as uri:
        client = MlflowClient(tracking_uri=uri)
        run_id = client.create_run("0").info.run_id
        now = int(time.time() * 1000)
        metrics = [Metric("m", float(i), now, i) for i in range(10_000)]
        tracemalloc.start()
        start = time.perf_counter()
        for i in range(0, len(metrics), 1000):
            client.log_batch(run_id, metrics=metrics[i : i + 1000])
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert len(client.get_metric_history(run_id, "m")) == 10_000
    return elapsed, peak


def main() -> None:
    """Run every measurement and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-real-server", action="store_true")
    options = parser.parse_args()
    repeats = options.repeats
    workdir = Path(tempfile.mkdtemp(prefix="orq-bench-"))
    old_cwd = os.getcwd()
    os.chdir(workdir)
    results: dict[str, float] = {}
    try:
        print(f"MLflow {mlflow.__version__}, Python {sys.version.split()[0]}, {repeats} repeats")
        measure("floor (responses stub)", floor_stub(), workdir, repeats, results)
        measure("fake in-process", fake_in_process(), workdir, repeats, results)
        measure("fake loopback", fake_loopback(), workdir, repeats, results)
        results["fresh SQLite"] = fresh_sqlite(workdir, max(2, repeats // 2))
        print(f"  {'fresh SQLite':<22} {results['fresh SQLite'] * 1000:8.1f} ms", flush=True)
        measure("warm SQLite", warm_sqlite(workdir), workdir, repeats, results)
        if not options.no_real_server:
            measure("warm mlflow server", real_server(workdir), workdir, repeats, results)
        floor, fake = results["floor (responses stub)"], results["fake in-process"]
        print()
        print(f"{'target':<22} {'median ms':>10} {'x floor':>9} {'x fake in-process':>18}")
        for name, seconds in results.items():
            print(
                f"{name:<22} {seconds * 1000:10.1f} {seconds / floor:9.2f} {seconds / fake:18.2f}"
            )
        print()
        print(f"set-up (server + mounts + in-process start/stop): {setup_time() * 1e3:.3f} ms")
        elapsed, peak = big_batch()
        print(
            f"10,000 metrics via log_batch (10 x 1000) in-process: {elapsed * 1000:.1f} ms, "
            f"peak traced memory {peak / 1e6:.1f} MB"
        )
        goals = [
            ("fake in-process <= 1.3x floor", fake <= 1.3 * floor),
            ("warm SQLite >= 2x fake", results["warm SQLite"] >= 2 * fake),
            ("fresh SQLite >= 15x fake", results["fresh SQLite"] >= 15 * fake),
        ]
        if "warm mlflow server" in results:
            goals.append(("warm server >= 5x fake", results["warm mlflow server"] >= 5 * fake))
        print()
        for goal, ok in goals:
            print(f"  [{'ok' if ok else 'MISSED'}] {goal}")
    finally:
        os.chdir(old_cwd)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
