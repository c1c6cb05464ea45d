"""``orq-mlflow demo``: the whole product, end to end, on this machine, with no cluster.

Starts a fake Orquestra workspace on loopback, runs the documented example
task (:mod:`orquestra_mlflow.demo_task`) as on a laptop, in Studio and as a CE
task, each in a fresh process with only that environment's variables, and
checks that the fake tracking server received each run intact.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from . import base

TASK_MODULE = "orquestra_mlflow.demo_task"
#: Seconds one environment's task may take.
TASK_TIMEOUT = 120.0

_DESCRIPTION = """\
Show the whole product working, on this machine, with no cluster: start a
fake Orquestra workspace (MLflow tracking server and resource catalog) on
127.0.0.1, then run the documented example task three times, each in a fresh
process through the real library and the real MLflow client over real HTTP:

  local   as on a laptop after `orq login` (a config file, a cluster URI)
  studio  as in an Orquestra Studio session (platform variables, a passport)
  ce      as a Compute Engine task on a fresh worker

and print what each run sent and what the server received. Exits 0 only if
every run arrived intact. Tokens are never printed. Everything is written
under one temporary directory that is removed at the end (also on Ctrl-C).

Needs the MLflow client: pip install 'orquestra-mlflow[demo]'."""

_EXAMPLES = """\
  orq-mlflow demo
  python -m orquestra_mlflow demo"""


def register(subparsers: Any) -> None:
    """Add the ``demo`` command."""
    parser = base.add_command(
        subparsers,
        "demo",
        summary="run the example task locally, in simulated Studio and CE, and check it",
        description=_DESCRIPTION,
        examples=_EXAMPLES,
    )
    parser.set_defaults(handler=run)


@dataclass
class Outcome:
    """What one environment's run did, and what the server made of it."""

    kind: str
    expected_uri: str
    token_from: str
    #: The environment's token: used to check the server's records, never printed.
    token: str = field(default="", repr=False)
    tracking_uri: str = ""
    expected: dict[str, Any] = field(default_factory=dict)
    run_id: str = ""
    received: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """The run arrived intact."""
        return not self.problems


def run(args: argparse.Namespace) -> int:
    """Run the demo; 0 if every environment's run arrived intact, else 1."""
    import importlib.util

    if importlib.util.find_spec("mlflow") is None:
        raise base.CliError(
            "the demo runs the MLflow client, which is not installed here. Install it with: "
            "pip install 'orquestra-mlflow[demo]'   (or: pip install mlflow-skinny)"
        )
    from . import fake

    started = time.monotonic()
    with fake.fake_session(prefix="orq-mlflow-demo-") as session:
        print(
            f"Fake Orquestra workspace '{fake.WORKSPACE_ID}' on {session.url} (no cluster).\n"
            f"Running the example task ({TASK_MODULE}) as {', '.join(fake.KINDS)}, "
            "each in a fresh process...",
            flush=True,
        )
        outcomes = _run_tasks(session)
        for outcome in outcomes:
            if outcome.run_id:
                _check_received(session, outcome)
        _check_tokens_used(session, outcomes)
        print()
        print(render_table(outcomes), end="")
    seconds = time.monotonic() - started
    print()
    good = sum(o.ok for o in outcomes)
    if good == len(outcomes):
        print(
            f"All {good} runs arrived intact, in {seconds:.1f} s. The temporary workspace and "
            "its files are gone."
        )
        return base.OK
    for outcome in outcomes:
        for problem in outcome.problems:
            print(f"{outcome.kind}: {problem}", file=sys.stderr)
    print(f"{len(outcomes) - good} of {len(outcomes)} runs did not arrive intact.", file=sys.stderr)
    return base.FAILURE


def _run_tasks(session: Any) -> list[Outcome]:
    """Start the three task processes at once; collect their reports."""
    from . import fake

    procs: list[tuple[Outcome, subprocess.Popen[str]]] = []
    try:
        for kind in fake.KINDS:
            prepared = session.prepare(kind)
            setup = prepared.setup
            environ = fake.base_environ()
            environ.update(setup.variables)
            tmp = str(prepared.root / "tmp")
            environ.update(TMPDIR=tmp, TEMP=tmp, TMP=tmp, MLFLOW_DISABLE_TELEMETRY="true")
            command = [sys.executable, "-m", TASK_MODULE, session.workspace.settings.workspace_id]
            if setup.config_name:
                command += ["--config", setup.config_name]
                token_from = f"config '{setup.config_name}' in ~/.orquestra/config.json"
            else:
                token_from = "passport file (ORQUESTRA_PASSPORT_FILE)"
            cwd = setup.sandbox.new_worker_dir() if kind == "ce" else setup.sandbox.work_dir
            outcome = Outcome(kind, setup.tracking_uri, token_from, token=setup.token)
            proc = subprocess.Popen(
                command,
                env=environ,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            procs.append((outcome, proc))
        for outcome, proc in procs:
            try:
                stdout, stderr = proc.communicate(timeout=TASK_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
                outcome.problems.append(f"the task did not finish within {TASK_TIMEOUT:.0f} s.")
                continue
            _read_report(outcome, proc.returncode, stdout, stderr)
    finally:
        for _, proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return [outcome for outcome, _ in procs]


def _read_report(outcome: Outcome, status: int, stdout: str, stderr: str) -> None:
    from ..tokens import redact

    lines = stdout.strip().splitlines()
    try:
        report = json.loads(lines[-1]) if status == 0 and lines else None
    except ValueError:
        report = None
    if not isinstance(report, dict):
        tail = redact("\n".join(stderr.strip().splitlines()[-8:]), outcome.token)
        outcome.problems.append(f"the task failed (exit status {status}):\n{tail}")
        return
    outcome.run_id = str(report.get("run_id", ""))
    outcome.tracking_uri = str(report.get("tracking_uri", ""))
    expected = report.get("expected")
    outcome.expected = expected if isinstance(expected, dict) else {}
    if outcome.tracking_uri != outcome.expected_uri:
        outcome.problems.append(
            f"the library chose {outcome.tracking_uri}, expected {outcome.expected_uri}."
        )


def _check_received(session: Any, outcome: Outcome) -> None:
    """Compare what the server recorded for the run with what the task says it logged."""
    import math

    server = session.workspace.server
    try:
        recorded = server.run(outcome.run_id)
    except Exception:
        outcome.problems.append(f"the server has no run {outcome.run_id}.")
        return
    expected = outcome.expected
    params = dict(recorded.params)
    history = recorded.metric_history("loss")
    artifacts = {path: data.decode("utf-8", "replace") for path, data in recorded.artifacts.items()}
    if params != expected.get("params"):
        outcome.problems.append(f"params received {params}, sent {expected.get('params')}.")
    sent_history = expected.get("metrics", {}).get("loss", [])
    same_history = len(history) == len(sent_history) and all(
        int(a[0]) == int(b[0]) and math.isclose(float(a[1]), float(b[1]), rel_tol=1e-9)
        for a, b in zip(history, sent_history, strict=False)
    )
    if not same_history:
        outcome.problems.append(f"loss history received {history}, sent {sent_history}.")
    if artifacts != expected.get("artifacts"):
        outcome.problems.append(
            f"artifacts received {sorted(artifacts)}, sent {sorted(expected.get('artifacts', {}))}."
        )
    if recorded.status != "FINISHED":
        outcome.problems.append(f"the run's status is {recorded.status}, not FINISHED.")
    last = history[-1][1] if history else float("nan")
    outcome.received = {
        "params": ", ".join(f"{k}={v}" for k, v in sorted(params.items())) or "(none)",
        "metrics": f"loss: {len(history)} steps, last {last:.4f}" if history else "(none)",
        "artifacts": ", ".join(
            f"{_short(path, outcome.run_id)} ({len(recorded.artifacts[path])} B)"
            for path in sorted(artifacts)
        )
        or "(none)",
    }


def _check_tokens_used(session: Any, outcomes: list[Outcome]) -> None:
    """Each environment's requests carried that environment's own token."""
    used = {r.headers.get("authorization", "") for r in session.workspace.server.requests}
    for outcome in outcomes:
        if outcome.run_id and f"Bearer {outcome.token}" not in used:
            outcome.problems.append("the server never received this environment's token.")
    unauthenticated = [r for r in session.workspace.server.requests if not r.authenticated]
    if unauthenticated:
        for outcome in outcomes:
            outcome.problems.append(
                f"the server answered {len(unauthenticated)} unauthenticated request(s)."
            )


def _short(path: str, run_id: str) -> str:
    return path.replace(run_id, f"{run_id[:8]}…") if run_id else path


def render_table(outcomes: list[Outcome]) -> str:
    """One column per environment; one row per fact (never a token)."""
    from . import fake

    rows: list[tuple[str, list[str]]] = [
        ("", [f"{o.kind}" for o in outcomes]),
        ("", [fake.DESCRIPTIONS[o.kind].replace(" after `orq login`", "") for o in outcomes]),
        ("tracking URI", [o.tracking_uri or "-" for o in outcomes]),
        ("token from", [o.token_from for o in outcomes]),
        ("run id", [o.run_id or "-" for o in outcomes]),
        ("params", [o.received.get("params", "-") for o in outcomes]),
        ("metrics", [o.received.get("metrics", "-") for o in outcomes]),
        ("artifacts", [o.received.get("artifacts", "-") for o in outcomes]),
        ("arrived intact", ["yes" if o.ok else "NO" for o in outcomes]),
    ]
    label_width = max(len(label) for label, _ in rows)
    widths = [max(len(cells[i]) for _, cells in rows) for i in range(len(outcomes))]
    lines = []
    for label, cells in rows:
        line = f"{label:<{label_width}}  " + "  ".join(
            f"{cell:<{width}}" for cell, width in zip(cells, widths, strict=True)
        )
        lines.append(line.rstrip())
    return "\n".join(lines) + "\n"
