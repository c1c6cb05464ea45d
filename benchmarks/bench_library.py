"""Benchmark of the library: import cost and namespace look-up cost.

Run: ``python benchmarks/bench_library.py``. Every number is printed beside a
reference measured in the same run, as a ratio, because absolute times on a
shared machine mean little:

* import: ``import orquestra_mlflow`` in a fresh interpreter, against an empty
  interpreter (``-c pass``) and against ``import requests`` (the least that
  ``orquestra.sdk.mlflow`` pays; the SDK's whole import was about 0.27 s here).
* look-up: ``get_tracking_uri`` in a simulated Studio process against a
  loopback resource catalog, uncached (first call) and cached, against a bare
  ``requests.get`` of the same URL and against ``os.environ.get``.
"""

from __future__ import annotations

import http.server
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable

REPEATS = 15
SDK_IMPORT_S = 0.27  # orquestra.sdk.mlflow, measured on this kind of machine (PLATFORM.md)


def _interpreter_time(code: str) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _importtime_us(module: str) -> int:
    """Cumulative import time of ``module`` in microseconds, from ``-X importtime``."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        check=True,
    )
    for line in reversed(result.stderr.splitlines()):
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and parts[2] == module:
            return int(parts[1])
    raise RuntimeError(f"no importtime line for {module}")


def _per_call(fn: Callable[[], object], n: int) -> float:
    fn()
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


class _Catalog(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"namespace": "ws-bench-ns"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def bench_import() -> None:
    empty = _interpreter_time("pass")
    ours = _interpreter_time("import orquestra_mlflow")
    requests_ = _interpreter_time("import requests")
    ours_cost = max(ours - empty, 1e-6)
    requests_cost = max(requests_ - empty, 1e-6)
    ours_us = _importtime_us("orquestra_mlflow")
    print("import orquestra_mlflow (fresh interpreter, median of", REPEATS, "runs)")
    print(f"  empty interpreter           {empty * 1000:8.1f} ms")
    print(
        f"  + import orquestra_mlflow   {ours_cost * 1000:8.1f} ms   (-X importtime: {ours_us / 1000:.1f} ms)"
    )
    print(f"  + import requests           {requests_cost * 1000:8.1f} ms")
    print(f"  ratio ours / requests       {ours_cost / requests_cost:8.3f}")
    print(
        f"  ratio ours / orquestra.sdk.mlflow (0.27 s) {ours_us / 1e6 / SDK_IMPORT_S:8.3f}   (goal <= 0.1)"
    )


def bench_lookup() -> None:
    import requests

    import orquestra_mlflow as om

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Catalog)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    proxy = f"http://127.0.0.1:{server.server_address[1]}"
    saved = dict(os.environ)
    with tempfile.TemporaryDirectory() as tmp:
        passport = os.path.join(tmp, "passport")
        with open(passport, "w") as f:
            f.write("bench-token\n")
        os.environ.update(
            {
                "ORQ_CURRENT_CLUSTER": "bench.orquestra.io",
                "ORQ_MLFLOW_CR_NAME": "mlflow",
                "ORQ_MLFLOW_PORT": "8080",
                "ORQUESTRA_PASSPORT_FILE": passport,
                "HTTP_PROXY": proxy,
                "NO_PROXY": "",
            }
        )
        os.environ.pop("no_proxy", None)
        os.environ.pop("http_proxy", None)
        try:
            url = "http://orquestra-resource-catalog.resource-catalog/api/workspaces/x"

            def uncached() -> object:
                om.clear_namespace_cache()
                return om.get_tracking_uri("ws-bench")

            def bare() -> object:
                return requests.get(url, timeout=5).json()

            def cached() -> object:
                return om.get_tracking_uri("ws-bench")

            def environ() -> object:
                return os.environ.get("ORQ_MLFLOW_CR_NAME")

            t_uncached = _per_call(uncached, 200)
            t_bare = _per_call(bare, 200)
            t_cached = _per_call(cached, 20000)
            t_env = _per_call(environ, 20000)
        finally:
            os.environ.clear()
            os.environ.update(saved)
            server.shutdown()
    print("get_tracking_uri in a simulated Studio process (loopback resource catalog)")
    print(f"  uncached (a catalog request)  {t_uncached * 1e6:9.1f} us")
    print(
        f"  bare requests.get, same URL   {t_bare * 1e6:9.1f} us   ratio {t_uncached / t_bare:6.2f}"
    )
    print(f"  cached                        {t_cached * 1e6:9.1f} us   (reads the passport file)")
    print(f"  os.environ.get                {t_env * 1e6:9.3f} us   ratio {t_cached / t_env:6.1f}")
    print(f"  uncached / cached             {t_uncached / t_cached:9.1f}")


if __name__ == "__main__":
    bench_import()
    print()
    bench_lookup()
