"""Benchmark the orq_mlflow pytest plugin against references measured in the same run.

1. Fixture set-up time per test: ``orq_mlflow``, ``orq_local``, ``orq_studio`` and
   ``orq_ce`` against a bare ``monkeypatch`` (median of the set-up phase of N tests).
2. Load overhead: wall time of a one-test pytest run with the plugin against the
   same run with ``-p no:orq_mlflow`` (median of R runs each).

Run: ``.venv/bin/python benchmarks/bench_plugin.py [--tests 200] [--runs 9]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

CONFTEST = textwrap.dedent(
    """
    import json, os
    DURATIONS = {}

    def pytest_runtest_logreport(report):
        if report.when == "setup" and report.passed:
            name = report.nodeid.split("::")[-1].split("[")[0]
            DURATIONS.setdefault(name, []).append(report.duration)

    def pytest_sessionfinish(session):
        with open(os.environ["BENCH_OUT"], "w") as handle:
            json.dump(DURATIONS, handle)
    """
)

FIXTURES = ("monkeypatch", "orq_mlflow", "orq_local", "orq_studio", "orq_ce")


def setup_times(tests: int) -> dict[str, float]:
    """Median set-up time (ms) per fixture, after one warm-up test each."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "conftest.py").write_text(CONFTEST)
        body = "import pytest\n"
        for name in FIXTURES:
            body += (
                f"@pytest.mark.parametrize('i', range({tests}))\n"
                f"def test_{name}(i, {name}):\n    pass\n"
            )
        (root / "test_bench.py").write_text(body)
        out = root / "out.json"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:randomly",
                "-p",
                "no:cacheprovider",
                "-p",
                "no:xdist",
                str(root),
            ],
            cwd=root,
            check=True,
            capture_output=True,
            env=_env(BENCH_OUT=str(out)),
        )
        data: dict[str, list[float]] = json.loads(out.read_text())
    return {
        name.removeprefix("test_"): statistics.median(values[1:]) * 1000
        for name, values in data.items()
    }


def load_overhead(runs: int) -> tuple[float, float]:
    """Median wall time (ms) of a trivial pytest run with and without the plugin."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "test_trivial.py").write_text("def test_nothing():\n    pass\n")
        base = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(root)]
        with_plugin, without = [], []
        for _ in range(runs):
            for args, bucket in ((base, with_plugin), ([*base, "-p", "no:orq_mlflow"], without)):
                started = time.perf_counter()
                subprocess.run(args, cwd=root, check=True, capture_output=True, env=_env())
                bucket.append((time.perf_counter() - started) * 1000)
    return statistics.median(with_plugin), statistics.median(without)


def _env(**extra: str) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("ORQ_", "MLFLOW_"))}
    env.update(extra)
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=200, help="tests per fixture")
    parser.add_argument("--runs", type=int, default=9, help="pytest runs per load measurement")
    args = parser.parse_args()

    times = setup_times(args.tests)
    reference = times["monkeypatch"]
    print(f"Fixture set-up per test (median of {args.tests - 1}):")
    for name in FIXTURES:
        print(
            f"  {name:<12} {times[name]:7.3f} ms   (+{times[name] - reference:.3f} ms vs monkeypatch)"
        )
    with_plugin, without = load_overhead(args.runs)
    print(f"Load overhead (median of {args.runs} trivial pytest runs):")
    print(f"  with orq_mlflow     {with_plugin:7.1f} ms")
    print(f"  -p no:orq_mlflow    {without:7.1f} ms")
    print(f"  overhead            {with_plugin - without:+7.1f} ms (budget 30 ms)")


if __name__ == "__main__":
    main()
