"""What the ``tracking()`` machinery costs: per-request token reads and ``import mlflow``.

Run: ``python benchmarks/bench_tracking.py [--repeats N] [--calls N]``. Every
number is printed beside a reference measured in the same run, as a ratio:

* token read, per request: ``current_token()`` from the passport (Studio/CE)
  and from the ``orq login`` config (local), cached (the file is unchanged:
  one ``os.stat``) and uncached (read, and for the config parse the JSON),
  and the whole ``orquestra`` auth object applied to a request. References:
  ``os.environ.get("MLFLOW_TRACKING_TOKEN")`` (what the documented way costs
  MLflow per request) and ``requests.Request(...).prepare()`` (what every
  request costs the HTTP client anyway).
* ``import mlflow`` in fresh interpreters, alternating: with this package's
  entry points installed (MLflow imports the run context provider), and with
  them hidden from ``importlib.metadata`` (as if the package were not
  installed). Both arms run the same prelude; medians of ``--repeats`` runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"

_IMPORT_PROBE = """
import importlib.metadata, os, sys, time
if os.environ.get("BENCH_HIDE_ORQUESTRA") == "1":
    _real = importlib.metadata.entry_points
    def _hidden(**params):
        found = _real(**params)
        keep = [ep for ep in found if not ep.value.startswith("orquestra_mlflow.")]
        return importlib.metadata.EntryPoints(keep)
    importlib.metadata.entry_points = _hidden
else:
    _real = importlib.metadata.entry_points
    def _shown(**params):
        found = _real(**params)
        return importlib.metadata.EntryPoints(list(found))
    importlib.metadata.entry_points = _shown
ours = [0.0]
_load = importlib.metadata.EntryPoint.load
def _timed_load(self):
    begin = time.perf_counter()
    try:
        return _load(self)
    finally:
        if self.value.startswith("orquestra_mlflow."):
            ours[0] += time.perf_counter() - begin
importlib.metadata.EntryPoint.load = _timed_load
start, cpu = time.perf_counter(), time.process_time()
import mlflow
elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
loaded = any(m.startswith("orquestra_mlflow") for m in sys.modules)
print(elapsed, loaded, ours[0], cpu)
"""


def per_call(fn: Callable[[], object], calls: int, repeats: int) -> float:
    """Median seconds per call of ``fn`` over ``repeats`` batches of ``calls`` calls."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        times.append((time.perf_counter() - start) / calls)
    return statistics.median(times)


def token_reads(calls: int, repeats: int) -> list[tuple[str, float]]:
    """Per-call costs of the token reads and their references."""
    import requests

    from orquestra_mlflow import token_source
    from orquestra_mlflow.mlflow_plugins.auth import OrquestraAuth

    token = "eyJhbGciOiJIUzI1NiJ9." + "x" * 600 + ".signature"
    root = Path(tempfile.mkdtemp(prefix="bench-tracking-"))
    passport = root / "passport"
    passport.write_text(token)
    config = root / "config.json"
    entries = {
        f"cfg-{i}": {
            "config_name": f"cfg-{i}",
            "runtime_name": "CE_REMOTE",
            "runtime_options": {"uri": f"https://c{i}.orquestra.io", "token": token},
        }
        for i in range(5)
    }
    config.write_text(json.dumps({"version": "0.0.2", "configs": entries}))
    old = time.time() - 60  # outside the racy window, as a passport between rotations is
    for path in (passport, config):
        os.utime(path, (old, old))
    os.environ["MLFLOW_TRACKING_TOKEN"] = token
    os.environ["ORQ_CONFIG_PATH"] = str(config)

    def remote() -> None:
        os.environ["ORQ_CURRENT_CLUSTER"] = "bench.orquestra.io"
        os.environ["ORQUESTRA_PASSPORT_FILE"] = str(passport)

    def local() -> None:
        os.environ.pop("ORQ_CURRENT_CLUSTER", None)

    prepared = requests.Request(
        "POST",
        "http://mlflow.ns:8080/api/2.0/mlflow/runs/log-metric",
        json={"run_id": "r" * 32, "key": "loss", "value": 0.5},
    ).prepare()
    auth = OrquestraAuth()

    rows: list[tuple[str, float]] = []
    rows.append(
        (
            "reference: os.environ.get(MLFLOW_TRACKING_TOKEN)",
            per_call(lambda: os.environ.get("MLFLOW_TRACKING_TOKEN"), calls, repeats),
        )
    )
    rows.append(
        (
            "reference: requests.Request(...).prepare()",
            per_call(
                lambda: requests.Request("POST", prepared.url, json={"k": 1}).prepare(),
                calls // 10,
                repeats,
            ),
        )
    )
    remote()
    rows.append(
        (
            "passport, cached (unchanged file)",
            per_call(lambda: token_source.current_token(), calls, repeats),
        )
    )
    rows.append(
        (
            "passport, uncached (read every time)",
            per_call(lambda: token_source.current_token(cached=False), calls, repeats),
        )
    )
    rows.append(
        (
            "passport, auth object on a request (cached)",
            per_call(lambda: auth(prepared), calls, repeats),
        )
    )
    local()
    rows.append(
        (
            "config, cached (unchanged file)",
            per_call(lambda: token_source.current_token("cfg-3"), calls, repeats),
        )
    )
    rows.append(
        (
            "config, uncached (read + parse JSON)",
            per_call(
                lambda: token_source.current_token("cfg-3", cached=False), calls // 10, repeats
            ),
        )
    )
    return rows


def import_times(repeats: int) -> dict[str, list[float]]:
    """Seconds of ``import mlflow`` in fresh interpreters, per arm, alternating.

    ``"entry_point_load"`` holds, for the installed arm, the seconds spent inside
    ``EntryPoint.load`` of this package's entry points (the exact added cost).
    """
    results: dict[str, list[float]] = {
        "installed": [],
        "hidden": [],
        "installed_cpu": [],
        "hidden_cpu": [],
        "entry_point_load": [],
    }
    for i in range(repeats):
        arms = ("installed", "hidden") if i % 2 == 0 else ("hidden", "installed")
        for arm in arms:
            env = dict(_base_env(), BENCH_HIDE_ORQUESTRA="1" if arm == "hidden" else "0")
            done = subprocess.run(
                [sys.executable, "-c", _IMPORT_PROBE],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            elapsed, loaded, ours, cpu = done.stdout.split()
            if (loaded == "True") != (arm == "installed"):
                raise SystemExit(
                    f"arm {arm!r}: orquestra_mlflow loaded = {loaded}; check the probe"
                )
            results[arm].append(float(elapsed))
            results[f"{arm}_cpu"].append(float(cpu))
            if arm == "installed":
                results["entry_point_load"].append(float(ours))
    return results


def attributed_import_cost() -> tuple[float, float, list[str]]:
    """``-X importtime``: seconds spent importing ``orquestra_mlflow`` modules, and in all."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import mlflow"],
        env=_base_env(),
        check=True,
        capture_output=True,
        text=True,
    )
    ours, total, names = 0.0, 0.0, []
    for line in done.stderr.splitlines():
        parts = [p.strip() for p in line.removeprefix("import time:").split("|")]
        if len(parts) != 3 or not parts[0].isdigit():
            continue
        self_us, module = int(parts[0]), parts[2]
        total += self_us / 1e6
        if module.startswith("orquestra_mlflow"):
            ours += self_us / 1e6
            names.append(module)
    return ours, total, names


def _base_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("ORQ", "MLFLOW_TRACKING"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="import runs per arm (default 15)")
    parser.add_argument("--calls", type=int, default=20000, help="calls per timing batch")
    args = parser.parse_args()

    rows = token_reads(args.calls, 7)
    reference = rows[0][1]
    print("Per-request token read (median of 7 batches)")
    print(f"{'':52} {'µs/call':>9} {'x environ':>10}")
    for name, seconds in rows:
        print(f"{name:52} {seconds * 1e6:9.2f} {seconds / reference:10.1f}")

    times = import_times(args.repeats)
    print(f"\nimport mlflow, fresh interpreter (median of {args.repeats} per arm, alternating)")
    print(f"{'':24} {'installed':>10} {'hidden':>10} {'ratio':>7} {'paired diff':>12}")
    for label, suffix in (("wall clock (ms)", ""), ("CPU time (ms)", "_cpu")):
        a, b = times[f"installed{suffix}"], times[f"hidden{suffix}"]
        pairs = [x - y for x, y in zip(a, b, strict=True)]
        ma, mb = statistics.median(a), statistics.median(b)
        print(
            f"  {label:22} {ma * 1000:10.1f} {mb * 1000:10.1f} {ma / mb:7.3f} "
            f"{statistics.median(pairs) * 1000:+12.1f}"
        )
    installed = statistics.median(times["installed"])
    load = statistics.median(times["entry_point_load"])
    print(
        f"  loading our entry points: {load * 1000:7.2f} ms median, inside the installed arm "
        f"({load / installed:.2%} of its import)"
    )
    ours, total, names = attributed_import_cost()
    print(
        f"  -X importtime          : {ours * 1000:8.2f} ms in {len(names)} orquestra_mlflow "
        f"modules of {total * 1000:.0f} ms in all ({ours / total:.2%})"
    )


if __name__ == "__main__":
    main()
