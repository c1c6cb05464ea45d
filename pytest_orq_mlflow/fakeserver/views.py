"""Read-only, test-facing views of what the fake tracking server holds and saw."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pytest_orq_mlflow.fakeserver.backend import ExperimentRecord, MetricRecord, RunRecord

_SECRET_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server received, and the status it answered.

    ``headers`` are the real headers (so a test can check what was sent); the
    ``repr`` hides credentials. ``authenticated`` tells whether the request
    carried a token the server accepted at the time.
    """

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes
    status: int = 0
    path: str = ""
    authenticated: bool = False

    def __repr__(self) -> str:
        shown = {
            k: ("<redacted>" if k.lower() in _SECRET_HEADERS else v)
            for k, v in self.headers.items()
        }
        body = self.body if len(self.body) <= 200 else self.body[:200] + b"..."
        return (
            f"RecordedRequest(method={self.method!r}, url={self.url!r}, headers={shown!r}, "
            f"body={body!r}, status={self.status})"
        )

    def __str__(self) -> str:
        return f"{self.method} {self.url} -> {self.status}"


@dataclass(frozen=True)
class RecordedExperiment:
    """An experiment as stored: id, name, lifecycle stage, artifact location and tags."""

    experiment_id: str
    name: str
    lifecycle_stage: str
    artifact_location: str
    tags: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_record(cls, exp: ExperimentRecord) -> RecordedExperiment:
        """Build the view from a backend record."""
        return cls(
            exp.experiment_id, exp.name, exp.lifecycle_stage, exp.artifact_location, dict(exp.tags)
        )


@dataclass(frozen=True)
class RecordedRun:
    """A run as MLflow would report it, plus its artifacts.

    ``tags`` are the user's tags; MLflow's own ``mlflow.*`` tags are in
    ``system_tags``. ``metrics`` holds the latest value per key by MLflow's
    definition (highest step, then latest timestamp). ``artifacts`` maps paths
    relative to the run's artifact root to their bytes.
    """

    run_id: str
    run_name: str
    experiment_id: str
    experiment_name: str
    status: str
    lifecycle_stage: str
    start_time: int | None
    end_time: int | None
    artifact_uri: str
    params: dict[str, str]
    tags: dict[str, str]
    system_tags: dict[str, str]
    metrics: dict[str, float]
    artifacts: dict[str, bytes]
    _history: dict[str, list[MetricRecord]] = field(repr=False, compare=False)

    @classmethod
    def from_record(
        cls, run: RunRecord, experiment_name: str, artifacts: Mapping[str, bytes]
    ) -> RecordedRun:
        """Build the view from a backend record and the artifact store."""
        prefix = run.artifact_uri.partition(":")[2].lstrip("/") + "/"
        return cls(
            run_id=run.run_id,
            run_name=run.run_name,
            experiment_id=run.experiment_id,
            experiment_name=experiment_name,
            status=run.status,
            lifecycle_stage=run.lifecycle_stage,
            start_time=run.start_time,
            end_time=run.end_time,
            artifact_uri=run.artifact_uri,
            params=dict(run.params),
            tags={k: v for k, v in run.tags.items() if not k.startswith("mlflow.")},
            system_tags={k: v for k, v in run.tags.items() if k.startswith("mlflow.")},
            metrics={k: m.value for k, m in run.latest.items()},
            artifacts={k[len(prefix) :]: v for k, v in artifacts.items() if k.startswith(prefix)},
            _history={k: list(v) for k, v in run.metrics.items()},
        )

    @property
    def parent_run_id(self) -> str | None:
        """The parent's run id (the ``mlflow.parentRunId`` tag), or ``None``."""
        return self.system_tags.get("mlflow.parentRunId")

    def metric_history(self, key: str) -> list[tuple[int, float]]:
        """Every ``(step, value)`` of a metric, in the order MLflow's history returns them."""
        history = sorted(
            self._history.get(key, []),
            key=lambda m: (m.timestamp, m.step, 0.0 if m.value != m.value else m.value),
        )
        return [(m.step, m.value) for m in history]

    def __str__(self) -> str:
        return f"run {self.run_id} {self.run_name!r} in experiment {self.experiment_name!r}"
