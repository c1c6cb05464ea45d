"""What does running a task on real Ray workers cost, against the in-process simulation?

Measures, on the local Ray cluster that the ``orq_ray`` fixture uses:

* cluster start: ``LocalRayCluster.start()`` (``ray.init``) and ``stop()``;
* per-task overhead of a trivial task: on a warm reused worker, on a fresh
  worker per task (``max_calls=1``), and 50 tasks at once on the pool;
* the same test (one MLflow run with a param, 3 metrics and an artifact) run
  with ``orq_ce`` (in-process simulation) and with ``orq_ray``, each in its own
  pytest process; the per-test times come from pytest's JUnit XML report.

Needs Ray (``pip install "orquestra-mlflow[ray]"``) and MLflow.
Usage: ``python benchmarks/bench_ray.py [--tasks N]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

TEST_MODULE = """
import os

import mlflow

import orquestra_mlflow as om


def train(workspace_id):
    os.environ["MLFLOW_TRACKING_URI"] = om.get_tracking_uri(workspace_id)
    os.environ["MLFLOW_TRACKING_TOKEN"] = om.get_tracking_token()
    with mlflow.start_run() as run:
        mlflow.log_param("lr", 0.1)
        for step in range(3):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        path = om.get_temp_artifacts_dir() / "model.txt"
        path.write_text("weights")
        mlflow.log_artifact(str(path))
    return run.info.run_id


def check(orq_mlflow, run_id):
    run = orq_mlflow.only_run()
    assert run.run_id == run_id
    assert run.params == {"lr": "0.1"}
    assert run.artifacts == {"model.txt": b"weights"}


def test_in_process_1(orq_ce, orq_mlflow):
    check(orq_mlflow, orq_ce.run_task(train, orq_ce.workspace_id))


def test_in_process_2(orq_ce, orq_mlflow):
    check(orq_mlflow, orq_ce.run_task(train, orq_ce.workspace_id))


def test_on_ray_fresh_1(orq_ray, orq_mlflow):
    check(orq_mlflow, orq_ray.run_task(train, orq_ray.workspace_id))


def test_on_ray_fresh_2(orq_ray, orq_mlflow):
    check(orq_mlflow, orq_ray.run_task(train, orq_ray.workspace_id))



def test_on_ray_reused_1(orq_ray, orq_mlflow):
    check(orq_mlflow, orq_ray.worker("reused").run_task(train, orq_ray.workspace_id))
"""


def trivial(x: int) -> int:
    """The task whose cost is pure overhead."""
    return x + 1


def bench_cluster(tasks: int) -> dict[str, float]:
    """Start/stop times and per-task overheads, straight on :class:`LocalRayCluster`."""
    import ray

    from pytest_orq_mlflow.ray_cluster import LocalRayCluster

    results: dict[str, float] = {}
    began = time.perf_counter()
    cluster = LocalRayCluster().start()
    results["cluster start (ray.init)"] = time.perf_counter() - began
    env = {"runtime_env": {"env_vars": {"BENCH": "1"}}, "num_cpus": 0.5}
    workdir = tempfile.mkdtemp(prefix="orq-bench-")
    try:
        reused = cluster.remote_function("reused")
        fresh = cluster.remote_function("fresh")

        def call(remote: Any, x: int) -> Any:
            return ray.get(remote.options(**env).remote(trivial, (x,), {}, workdir))

        began = time.perf_counter()
        call(reused, 0)
        results["first task (starts a worker)"] = time.perf_counter() - began
        times = []
        for i in range(tasks):
            began = time.perf_counter()
            call(reused, i)
            times.append(time.perf_counter() - began)
        results["per task, warm reused worker (median)"] = statistics.median(times)
        times = []
        for i in range(5):
            began = time.perf_counter()
            call(fresh, i)
            times.append(time.perf_counter() - began)
        results["per task, fresh worker (median of 5)"] = statistics.median(times)
        began = time.perf_counter()
        refs = [reused.options(**env).remote(trivial, (i,), {}, workdir) for i in range(50)]
        ray.get(refs)
        results["50 trivial tasks at once (total)"] = time.perf_counter() - began
    finally:
        began = time.perf_counter()
        cluster.stop()
        results["cluster stop (ray.shutdown)"] = time.perf_counter() - began
        shutil.rmtree(workdir, ignore_errors=True)
    return results


def bench_same_test() -> dict[str, float]:
    """Per-test call times of the same test with orq_ce and with orq_ray (own pytest process)."""
    with tempfile.TemporaryDirectory(prefix="orq-bench-") as tmp:
        root = Path(tmp)
        (root / "pyproject.toml").write_text(
            '[tool.pytest.ini_options]\naddopts = ["--import-mode=importlib"]\n'
        )
        (root / "test_bench_same.py").write_text(textwrap.dedent(TEST_MODULE))
        report = root / "report.xml"
        began = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", f"--junitxml={report}"],
            cwd=root,
            check=True,
            capture_output=True,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        wall = time.perf_counter() - began
        cases = {
            case.get("name", ""): float(case.get("time", "0"))
            for case in ET.parse(report).getroot().iter("testcase")
        }
    cases["(whole pytest run, incl. cluster start)"] = wall
    return cases


def main() -> None:
    """Print both tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=50, help="sequential warm tasks to time")
    args = parser.parse_args()
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

    print("Ray cluster (2 CPUs, 0.5 CPU per task):")
    for name, seconds in bench_cluster(args.tasks).items():
        print(f"  {name:<42} {seconds * 1000:9.1f} ms")
    print("\nThe same test (setup + call + teardown, from pytest's report):")
    for name, seconds in bench_same_test().items():
        print(f"  {name:<42} {seconds * 1000:9.1f} ms")
    print(
        "\n  (the first orq_ray test's time includes the session's cluster start;"
        " fresh-worker tests pay a worker start and `import mlflow` in the worker)"
    )


if __name__ == "__main__":
    main()
