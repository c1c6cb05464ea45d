"""Fidelity contract: the same MLflow scenarios against a real `mlflow server` and the fake.

Every scenario module (``test_contract_*.py``) defines plain functions named
``scenario_<what>(ctx)`` and one two-line test::

    def test_scenario(contract, scenario):
        contract.check(scenario)

``pytest_generate_tests`` below parametrizes ``scenario`` with the module's
``scenario_*`` functions; the ``contract_target`` fixture (behind ``contract``)
is parametrized over ``real`` (a real ``mlflow server`` started once per
session) and ``fake`` (a fresh ``FakeTrackingServer`` per test, behind a
loopback HTTP server, with auth on and the suite's token accepted). A scenario
talks to its target through ``ctx`` (:class:`ScenarioContext`: an
``MlflowClient``, the fluent API, raw HTTP) and returns an *observation*
built from plain dicts and lists. Observations are normalised (IDs become
placeholders in order of appearance, timestamps are dropped, the unique name
token becomes ``<T>``) and must be equal:

* ``real``: the scenario runs against the real server; if an observation from
  an earlier run of the same scenario is cached, the two must agree (the
  scenario is deterministic and independent of the others).
* ``fake``: the scenario runs against the real server (or takes the cached
  observation) and against the fake; the two must agree.

A scenario whose fake answer is known to be wrong carries
``scenario.fake_differs = "..."`` (set after the function): its ``fake`` test
is a strict xfail, so the mark has to go once the fake is fixed.

Run it with ``pytest tests/contract -p no:randomly``; failures print the real
observation and a real-vs-fake diff.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import importlib.metadata
import math
import os
import pprint
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

SERVER_START_TIMEOUT = 60.0
DEV_EXTRA_HINT = (
    "the contract suite needs the full `mlflow` package (with its tracking server); "
    "install the project's `dev` extra: pip install -e '.[dev]'"
)

# Keys whose values are timestamps: dropped from observations.
_TIME_KEYS = frozenset({"start_time", "end_time", "timestamp", "creation_time", "last_update_time"})
# Keys whose values are experiment IDs.
_EXPERIMENT_ID_KEYS = frozenset({"experiment_id", "experiment_ids"})
# Run IDs are 32 lowercase hex digits (uuid4().hex); they are found anywhere in strings.
_RUN_ID_RE = re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])")
# ``mlflow-artifacts:/<experiment id>/...``: the experiment ID inside artifact URIs.
_ARTIFACT_URI_RE = re.compile(r"^(mlflow-artifacts:/)(\d+)(.*)$")
# Run names MLflow generates when none is given, e.g. ``bemused-cat-123``.
_GENERATED_RUN_NAME_RE = re.compile(r"^[a-z]+-[a-z]+-\d{1,3}$")
# System tags whose values legitimately change during a session (the lead commits).
_VOLATILE_TAGS = frozenset({"mlflow.source.git.commit", "mlflow.source.git.branch"})


# --------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------


class Normaliser:
    """Turns an observation into a comparable value (see the module docstring)."""

    def __init__(self, token: str, experiment_ids: Sequence[str] = ()) -> None:
        self.token = token
        self.run_ids: dict[str, str] = {}
        self.experiment_ids: dict[str, str] = {}
        for experiment_id in experiment_ids:  # created through the context, in order
            self._experiment_placeholder(experiment_id)

    def _run_placeholder(self, match: re.Match[str]) -> str:
        run_id = match.group(0)
        if run_id not in self.run_ids:
            self.run_ids[run_id] = f"<run{len(self.run_ids) + 1}>"
        return self.run_ids[run_id]

    def _experiment_placeholder(self, experiment_id: str) -> str:
        if experiment_id == "0":  # the Default experiment: a stable fact of MLflow
            return experiment_id
        if experiment_id not in self.experiment_ids:
            self.experiment_ids[experiment_id] = f"<exp{len(self.experiment_ids) + 1}>"
        return self.experiment_ids[experiment_id]

    def _string(self, value: str) -> str:
        value = value.replace(self.token, "<T>")
        value = _RUN_ID_RE.sub(self._run_placeholder, value)
        match = _ARTIFACT_URI_RE.match(value)
        if match:
            value = match.group(1) + self._experiment_placeholder(match.group(2)) + match.group(3)
        for experiment_id, placeholder in self.experiment_ids.items():
            # experiment IDs quoted in messages: "No Experiment with id=12 exists",
            # "The experiment 12 must be in the 'active' state", "experiment ID '12'"
            value = re.sub(
                rf"(?i)((?:id=|id |experiment |experiment_id=)'?){re.escape(experiment_id)}\b",
                lambda m, p=placeholder: m.group(1) + p,
                value,
            )
        return value

    def __call__(self, value: Any, key: str | None = None) -> Any:
        if isinstance(value, dict):
            out: dict[Any, Any] = {}
            for k, v in value.items():
                if k in _TIME_KEYS:
                    continue
                if k in _VOLATILE_TAGS:
                    out[k] = "<volatile>"
                    continue
                nk = self(k) if isinstance(k, str) else k
                out[nk] = self(v, key=k if isinstance(k, str) else None)
            return out
        if isinstance(value, (list, tuple)):
            return [self(v, key=key) for v in value]
        if isinstance(value, bytes) and len(value) > 64:
            return f"<{len(value)} bytes, sha256 {hashlib.sha256(value).hexdigest()[:16]}>"
        if isinstance(value, float):
            if math.isnan(value):
                return "NaN"
            if math.isinf(value):
                return "Infinity" if value > 0 else "-Infinity"
            return value
        if isinstance(value, str):
            if key in _EXPERIMENT_ID_KEYS:
                return self._experiment_placeholder(value)
            if key in ("run_name", "mlflow.runName") and _GENERATED_RUN_NAME_RE.match(value):
                return "<generated-run-name>"
            return self._string(value)
        return value


def _diff(expected: Any, actual: Any) -> str:
    left = pprint.pformat(expected, width=100, sort_dicts=False).splitlines()
    right = pprint.pformat(actual, width=100, sort_dicts=False).splitlines()
    return "\n".join(difflib.unified_diff(left, right, "real", "fake", lineterm="", n=3))


# --------------------------------------------------------------------------------------
# What a scenario sees
# --------------------------------------------------------------------------------------


class ScenarioContext:
    """The handle a scenario gets: a client for one target plus observation helpers.

    ``client``: an ``MlflowClient`` for the target; ``mlflow``: the fluent API
    (its tracking URI points at the target while the scenario runs);
    ``uri``: the tracking URI; ``token``: a short unique string to put in
    names (normalised to ``<T>``); ``tmp``: a fresh directory.
    """

    def __init__(self, uri: str, token: str, auth_token: str | None, tmp: Path) -> None:
        import mlflow
        from mlflow import MlflowClient

        self.uri = uri
        self.token = token
        self.auth_token = auth_token
        self.tmp = tmp
        self.mlflow = mlflow
        self.client = MlflowClient(tracking_uri=uri)
        self.created_experiments: list[str] = []

    # -- names ------------------------------------------------------------------------

    def name(self, label: str = "exp") -> str:
        """A name unique to this scenario run: ``ct-<token>-<label>``."""
        return f"ct-{self.token}-{label}"

    @property
    def prefix(self) -> str:
        """The common prefix of every :meth:`name` of this run (for LIKE filters)."""
        return f"ct-{self.token}-"

    def new_experiment(self, label: str = "exp", **kwargs: Any) -> str:
        """Create an experiment named :meth:`name` ``(label)``; return its ID."""
        experiment_id = str(self.client.create_experiment(self.name(label), **kwargs))
        self.created_experiments.append(experiment_id)
        return experiment_id

    # -- entity observations -----------------------------------------------------------

    @staticmethod
    def experiment(exp: Any) -> dict[str, Any] | None:
        if exp is None:
            return None
        return {
            "experiment_id": exp.experiment_id,
            "name": exp.name,
            "artifact_location": exp.artifact_location,
            "lifecycle_stage": exp.lifecycle_stage,
            "tags": dict(sorted(exp.tags.items())),
            "creation_time": exp.creation_time,
            "last_update_time": exp.last_update_time,
        }

    @staticmethod
    def run_info(info: Any) -> dict[str, Any]:
        return {
            "run_id": info.run_id,
            "experiment_id": info.experiment_id,
            "run_name": info.run_name,
            "status": info.status,
            "lifecycle_stage": info.lifecycle_stage,
            "artifact_uri": info.artifact_uri,
            "user_id": info.user_id,
            "start_time": info.start_time,
            "end_time": info.end_time,
            "has_start_time": info.start_time is not None,
            "has_end_time": info.end_time is not None,
        }

    def run(self, run: Any) -> dict[str, Any]:
        """A ``Run`` as a dict: info, params, metrics, tags, inputs."""
        inputs = run.inputs
        return {
            "info": self.run_info(run.info),
            "params": dict(sorted(run.data.params.items())),
            "metrics": dict(sorted(run.data.metrics.items())),
            "tags": dict(sorted(run.data.tags.items())),
            "dataset_inputs": [
                {
                    "dataset": {
                        "name": d.dataset.name,
                        "digest": d.dataset.digest,
                        "source_type": d.dataset.source_type,
                        "source": d.dataset.source,
                        "schema": d.dataset.schema,
                        "profile": d.dataset.profile,
                    },
                    "tags": sorted((t.key, t.value) for t in d.tags),
                }
                for d in (inputs.dataset_inputs if inputs else [])
            ],
            "model_inputs": [m.model_id for m in (inputs.model_inputs if inputs else [])],
        }

    def get_run(self, run_id: str) -> dict[str, Any]:
        return self.run(self.client.get_run(run_id))

    @staticmethod
    def metric(m: Any) -> dict[str, Any]:
        return {"key": m.key, "value": m.value, "step": m.step, "timestamp": m.timestamp}

    def history(self, run_id: str, key: str) -> list[dict[str, Any]]:
        return [self.metric(m) for m in self.client.get_metric_history(run_id, key)]

    def artifacts(self, run_id: str, path: str | None = None) -> list[dict[str, Any]]:
        return [
            {"path": f.path, "is_dir": f.is_dir, "file_size": f.file_size}
            for f in self.client.list_artifacts(run_id, path)
        ]

    def artifact_tree(self, run_id: str, path: str | None = None) -> list[dict[str, Any]]:
        """Every artifact below ``path``, depth first, as listed level by level."""
        out: list[dict[str, Any]] = []
        for entry in self.artifacts(run_id, path):
            out.append(entry)
            if entry["is_dir"]:
                out.extend(self.artifact_tree(run_id, entry["path"]))
        return out

    @staticmethod
    def files(root: Path) -> dict[str, bytes]:
        """Every file below ``root`` (relative POSIX path -> bytes), sorted."""
        return {
            p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*"))
            if p.is_file()
        }

    def search_runs(self, experiment_ids: list[str], **kwargs: Any) -> list[str | None]:
        """Run names of ``search_runs`` (its order preserved)."""
        return [r.info.run_name for r in self.client.search_runs(experiment_ids, **kwargs)]

    # -- errors and raw HTTP -----------------------------------------------------------

    @staticmethod
    def error(
        fn: Callable[..., Any],
        *args: Any,
        message: bool | Callable[[str], Any] = False,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Call ``fn`` expecting an ``MlflowException``: its code and HTTP status.

        ``message=True`` adds the message (only where the real one is stable);
        a callable adds ``message(e.message)`` (e.g. its stable first sentence).
        Anything else (a return value, another exception) is observed too, so
        that it shows up in the comparison instead of crashing the scenario.
        """
        from mlflow.exceptions import MlflowException

        try:
            result = fn(*args, **kwargs)
        except MlflowException as e:
            obs: dict[str, Any] = {
                "error_code": e.error_code,
                "http_status": e.get_http_status_code(),
            }
            if callable(message):
                obs["message"] = message(e.message)
            elif message:
                obs["message"] = e.message
            return obs
        except Exception as e:  # observed, not swallowed: it is compared with the real one
            return {"unexpected_exception": type(e).__name__, "message": str(e)[:300]}
        # only the type: a returned value may hold an ID or a long string
        return {"no_error": type(result).__name__}

    @classmethod
    def outcome(cls, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``fn(...)``'s result, or the :meth:`error` observation when it raises."""
        from mlflow.exceptions import MlflowException

        try:
            return fn(*args, **kwargs)
        except MlflowException:
            return cls.error(fn, *args, **kwargs)

    def http(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Any = None,
        data: bytes | None = None,
        body: bool = True,
    ) -> dict[str, Any]:
        """A raw request to ``<uri><path>``: its status and (optionally) its JSON body.

        The body of an error keeps its ``error_code`` and its field names, not its message.
        """
        import requests

        headers = {}
        if self.auth_token:
            headers["Authorization"] = f"Bearer {self.auth_token}"
        resp = requests.request(
            method,
            self.uri.rstrip("/") + path,
            json=json,
            params=params,
            data=data,
            headers=headers,
            timeout=30,
        )
        obs: dict[str, Any] = {"status": resp.status_code}
        if not body:
            return obs
        if not resp.content:
            obs["body"] = ""
            return obs
        try:
            payload = resp.json()
        except ValueError:
            obs["body"] = "<not json>"
            return obs
        if resp.status_code >= 400 and isinstance(payload, dict):
            # the code and which fields an error carries; not the message text
            payload = {"error_code": payload.get("error_code"), "fields": sorted(payload)}
        obs["body"] = payload
        return obs


# --------------------------------------------------------------------------------------
# The real server
# --------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "<no output>"
    return "\n".join(text.splitlines()[-lines:]) or "<empty>"


# Runs the server as its child, in the process group it leads (``start_new_session``),
# and takes the whole group down if pytest dies without tearing the fixture down
# (SIGKILL, a hard crash): no orphaned server keeps its port and its processes.
_WATCHDOG = """
import os, signal, subprocess, sys, time
parent = os.getppid()
signal.signal(signal.SIGTERM, lambda *_: None)  # the fixture stops the group, server first
server = subprocess.Popen(sys.argv[1:])
while server.poll() is None:
    if os.getppid() != parent:
        os.killpg(0, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while server.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        os.killpg(0, signal.SIGKILL)
    time.sleep(0.5)
sys.exit(server.returncode)
"""


def _stop_process_group(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server and every process it started (they share its process group)."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
    # uvicorn's worker may outlive the parent: sweep the group once more.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def _require_full_mlflow() -> None:
    try:
        importlib.metadata.version("mlflow")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip(DEV_EXTRA_HINT)


@pytest.fixture(scope="session")
def contract_real_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Session: a real ``mlflow server`` (SQLite, proxied artifacts, one worker) on 127.0.0.1.

    Skips when the full ``mlflow`` distribution is missing; fails after
    60 s without ``GET /health`` answering, quoting the server's stderr.
    Its database, artifacts and logs stay in a ``mlflow-server`` tmp dir.
    """
    _require_full_mlflow()
    import requests

    workdir = tmp_path_factory.mktemp("mlflow-server")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    env.update(
        MLFLOW_DISABLE_TELEMETRY="true",
        MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false",
        PYTHONUNBUFFERED="1",
    )
    for var in ("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_TOKEN", "MLFLOW_EXPERIMENT_ID"):
        env.pop(var, None)
    stderr_path = workdir / "server.stderr"
    cmd = [
        sys.executable,
        "-c",
        _WATCHDOG,
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--backend-store-uri",
        f"sqlite:///{workdir / 'mlflow.db'}",
        "--artifacts-destination",
        str(workdir / "artifacts"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    with open(workdir / "server.stdout", "wb") as out, open(stderr_path, "wb") as err:
        proc = subprocess.Popen(
            cmd, cwd=workdir, env=env, stdout=out, stderr=err, start_new_session=True
        )
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"`mlflow server` exited with code {proc.returncode} before answering "
                    f"{url}/health; stderr tail:\n{_tail(stderr_path)}",
                    pytrace=False,
                )
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail(
                    f"`mlflow server` did not answer {url}/health within "
                    f"{SERVER_START_TIMEOUT:.0f} s; stderr tail:\n{_tail(stderr_path)}",
                    pytrace=False,
                )
            time.sleep(0.25)
        yield url
    finally:
        _stop_process_group(proc)


# --------------------------------------------------------------------------------------
# The fake server
# --------------------------------------------------------------------------------------

#: The bearer token both targets receive (the fake accepts it; the real server ignores it).
AUTH_TOKEN = "contract-suite-token"


@pytest.fixture(scope="session")
def contract_loopback() -> Iterator[Any]:
    """Session: ``(mounts, transport)``: a started ``LoopbackTransport`` for the fake."""
    from pytest_orq_mlflow.http import Mounts
    from pytest_orq_mlflow.transports import LoopbackTransport

    mounts = Mounts()
    transport = LoopbackTransport(mounts).start()
    try:
        yield mounts, transport
    finally:
        transport.stop()


@contextlib.contextmanager
def _fresh_fake(loopback: Any) -> Iterator[Any]:
    """A fresh ``FakeTrackingServer`` (auth on, our token accepted) at the loopback's own URL."""
    from pytest_orq_mlflow.fakeserver import FakeTrackingServer

    mounts, transport = loopback
    server = FakeTrackingServer()
    server.accept_token(AUTH_TOKEN)
    url = transport.url.rstrip("/")
    mounts.mount(url, server)
    try:
        yield url, server
    finally:
        mounts.unmount(url)


@dataclass
class Target:
    """Where a scenario runs: ``name`` is ``real`` or ``fake``; ``fake`` is the fake's server."""

    name: str
    uri: str
    fake: Any = None


@pytest.fixture(params=["real", "fake"])
def contract_target(request: pytest.FixtureRequest) -> Iterator[Target]:
    """``real``: the session's ``mlflow server``; ``fake``: a fresh fake on a loopback server."""
    if request.param == "real":
        yield Target("real", request.getfixturevalue("contract_real_server_url"))
        return
    with _fresh_fake(request.getfixturevalue("contract_loopback")) as (url, server):
        yield Target("fake", url, server)


@pytest.fixture
def contract_tracking_uri(contract_target: Target, monkeypatch: pytest.MonkeyPatch) -> str:
    """The tracking URI of this test's target (parametrized: ``real``, ``fake``).

    ``MLFLOW_TRACKING_TOKEN`` is set to the token the fake accepts (the real
    server ignores it) and telemetry is off, for the duration of the test.
    """
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", AUTH_TOKEN)
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    return contract_target.uri


# --------------------------------------------------------------------------------------
# Running and comparing
# --------------------------------------------------------------------------------------


class Contract:
    """Runs a scenario against this test's target and compares it with the real server."""

    def __init__(
        self,
        target: Target,
        request: pytest.FixtureRequest,
        monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path,
        cache: dict[str, Any],
    ) -> None:
        self.target = target
        self.request = request
        self.monkeypatch = monkeypatch
        self.tmp_path = tmp_path
        self.cache = cache

    def run(self, scenario: Callable[[ScenarioContext], Any], uri: str, label: str) -> Any:
        """Run ``scenario`` against ``uri``; return its normalised observation.

        MLflow's global state (tracking URI, active experiment and runs, the
        environment variables it writes) is restored afterwards.
        """
        import mlflow
        from mlflow.tracking import fluent
        from mlflow.tracking._tracking_service import utils as tracking_utils

        token = uuid.uuid4().hex[:10]
        tmp = self.tmp_path / label
        tmp.mkdir()
        with self.monkeypatch.context() as mp:
            mp.setenv("MLFLOW_TRACKING_URI", uri)
            mp.setenv("MLFLOW_TRACKING_TOKEN", AUTH_TOKEN)
            for var in ("MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_RUN_ID"):
                # set first, so that ``mp`` records (and restores) an *unset* variable
                # that ``mlflow.set_experiment`` writes
                mp.setenv(var, "")
                mp.delenv(var)
            mp.setattr(tracking_utils, "_tracking_uri", tracking_utils._tracking_uri)
            mp.setattr(fluent, "_active_experiment_id", None)
            mp.chdir(tmp)
            mlflow.set_tracking_uri(uri)
            ctx = ScenarioContext(uri, token, AUTH_TOKEN, tmp)
            try:
                observation = scenario(ctx)
            finally:
                while mlflow.active_run() is not None:
                    mlflow.end_run()
                fluent._last_active_run_id.set(None)
        return Normaliser(token, ctx.created_experiments)(observation)

    def _real(self, scenario: Callable[[ScenarioContext], Any]) -> Any:
        url: str = self.request.getfixturevalue("contract_real_server_url")
        observed = self.run(scenario, url, "real")
        print(f"real observation of {scenario.__name__}:")
        pprint.pprint(observed, width=100, sort_dicts=False)
        return observed

    def check(self, scenario: Callable[[ScenarioContext], Any]) -> None:
        """``real``: run and check determinism; ``fake``: compare with the real observation."""
        key = f"{scenario.__module__}.{scenario.__qualname__}"
        if self.target.name == "real":
            observed = self._real(scenario)
            previous = self.cache.setdefault(key, observed)
            assert observed == previous, (
                "the scenario is not deterministic against the real server "
                f"(an earlier run vs this run):\n{_diff(previous, observed)}"
            )
            return
        if key not in self.cache:
            self.cache[key] = self._real(scenario)
        expected = self.cache[key]
        try:
            actual = self.run(scenario, self.target.uri, "fake")
        except Exception as e:
            unhandled = self._unhandled()
            raise AssertionError(
                f"{scenario.__name__} raised against the fake, not against the real server: "
                f"{type(e).__name__}: {e}{unhandled}"
            ) from e
        if actual != expected:
            pytest.fail(
                f"fake differs from real in {scenario.__name__}:\n{_diff(expected, actual)}"
                + self._unhandled(),
                pytrace=False,
            )

    def _unhandled(self) -> str:
        lines = "".join(f"\n  - {r.method} {r.url}" for r in self.target.fake.unhandled)
        return f"\nrequests the fake does not implement:{lines}" if lines else ""


@pytest.fixture(scope="session")
def contract_observation_cache() -> dict[str, Any]:
    """Session: normalised real-server observations by scenario (see :class:`Contract`)."""
    return {}


@pytest.fixture
def contract(
    contract_target: Target,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    contract_observation_cache: dict[str, Any],
) -> Contract:
    """A :class:`Contract` for this test's target (``real`` or ``fake``)."""
    _require_full_mlflow()
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    # Fail fast instead of retrying with back-off when a target answers 5xx.
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")
    monkeypatch.chdir(tmp_path)
    return Contract(contract_target, request, monkeypatch, tmp_path, contract_observation_cache)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``scenario`` with the module's ``scenario_*`` functions."""
    if "scenario" not in metafunc.fixturenames:
        return
    scenarios = [
        value
        for name, value in vars(metafunc.module).items()
        if name.startswith("scenario_") and callable(value)
    ]
    metafunc.parametrize(
        "scenario", scenarios, ids=[s.__name__.removeprefix("scenario_") for s in scenarios]
    )


@pytest.fixture(autouse=True)
def _contract_known_fake_differences(request: pytest.FixtureRequest) -> None:
    """Strict xfail for the ``fake`` run of scenarios marked ``fake_differs``."""
    callspec = getattr(request.node, "callspec", None)
    if callspec is None or callspec.params.get("contract_target") != "fake":
        return
    reason = getattr(callspec.params.get("scenario"), "fake_differs", None)
    if reason:
        request.applymarker(pytest.mark.xfail(strict=True, reason=f"fake differs: {reason}"))
