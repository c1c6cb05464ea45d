"""The checks behind ``orq-mlflow doctor``: plain data in, a JSON-ready report out.

:func:`diagnose` never prints, never writes a file, and never puts a token in
the report: values of secret variables are replaced by ``***``, and every
other string is passed through :func:`orquestra_mlflow.tokens.redact` with
each token it has seen. The report's shape (``version`` 1) is documented in
:mod:`orquestra_mlflow.cli.doctor`.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

from .. import variables
from ..errors import OrquestraMlflowError
from ..tokens import human_duration

REPORT_VERSION = 1
#: Seconds to wait for the tracking server: (connect, read). One attempt only.
SERVER_TIMEOUT = (2.0, 3.0)
#: A token that expires sooner than this is worth a warning.
EXPIRY_WARNING_SECONDS = 24 * 3600
SERVER_CHECK_PATH = "/api/2.0/mlflow/experiments/search?max_results=1"

SECRET_VARIABLES = frozenset({variables.TRACKING_TOKEN})
SHOWN_VARIABLES = (
    *variables.PLATFORM_VARIABLES,
    variables.CONFIG_PATH,
    variables.CURRENT_CONFIG,
    variables.TRACKING_URI,
    variables.TRACKING_TOKEN,
)
_REMOTE_REQUIRED = (variables.MLFLOW_CR_NAME, variables.MLFLOW_PORT, variables.PASSPORT_FILE)


@dataclass
class Diagnosis:
    """A report being built: its sections, its problems, and the secrets to keep out of it."""

    sections: dict[str, Any] = field(default_factory=dict)
    problems: list[dict[str, str]] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)

    def problem(self, severity: str, topic: str, message: str) -> None:
        """Record a problem: ``severity`` is ``error`` (MLflow cannot work) or ``warning``."""
        self.problems.append({"severity": severity, "topic": topic, "message": message})

    def report(self) -> dict[str, Any]:
        """The finished report, with every secret redacted."""
        errors = sum(p["severity"] == "error" for p in self.problems)
        report = {
            "version": REPORT_VERSION,
            "ok": errors == 0,
            **self.sections,
            "problems": self.problems,
        }
        scrubbed: dict[str, Any] = _scrub(report, [s for s in self.secrets if s])
        return scrubbed


def diagnose(workspace_id: str | None, config_name: str | None) -> dict[str, Any]:
    """Check the environment, config file, token, artifacts directory and (given a workspace) the server."""
    from ..environment import detect_environment

    d = Diagnosis()
    env = detect_environment()
    d.sections["environment"] = {"kind": env.kind, "reason": env.reason, "cluster": env.cluster}
    d.secrets.append(os.environ.get(variables.TRACKING_TOKEN, ""))
    _check_variables(d, env.is_remote)
    selected = None if env.is_remote else _selected_config(config_name)
    token = _check_config_file(d, env.is_remote, selected)
    if env.is_remote:
        if config_name:
            d.problem(
                "warning",
                "config",
                f"--config {config_name} is ignored in Studio and CE, where the cluster-local "
                "URI and passport are used. Drop --config here.",
            )
        token = _passport_token(d)
    _check_token(d, token, env.is_remote, selected)
    _check_artifacts_dir(d)
    d.sections["tracking"] = None
    if workspace_id is not None:
        _check_tracking(d, workspace_id, selected, token)
    return d.report()


def _scrub(value: Any, secrets: list[str]) -> Any:
    from ..tokens import redact

    if isinstance(value, str):
        return redact(value, *secrets)
    if isinstance(value, dict):
        return {k: _scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, secrets) for v in value]
    return value


def _selected_config(given: str | None) -> str | None:
    if given:
        return given
    return "auto" if os.environ.get(variables.CURRENT_CONFIG) else None


def _check_variables(d: Diagnosis, remote: bool) -> None:
    rows = []
    for name in SHOWN_VARIABLES:
        value = os.environ.get(name)
        secret = name in SECRET_VARIABLES
        shown = None if value is None else ("***" if secret and value else value)
        rows.append({"name": name, "set": value is not None, "value": shown, "secret": secret})
    d.sections["variables"] = rows
    if not remote:
        return
    for name in _REMOTE_REQUIRED:
        if not os.environ.get(name):
            state = "is empty" if name in os.environ else "is not set"
            d.problem(
                "error",
                "variables",
                f"{name} {state}, but {variables.CURRENT_CLUSTER} says this is Studio or CE, "
                f"where the platform sets it. Restart the session or task; on your own machine, "
                f"unset {variables.CURRENT_CLUSTER}.",
            )
    if not os.environ.get(variables.MLFLOW_ARTIFACTS_DIR):
        d.problem(
            "warning",
            "variables",
            f"{variables.MLFLOW_ARTIFACTS_DIR} is not set, so artifact files go to "
            "~/.orquestra/mlflow/artifacts. Set it to a writable scratch directory.",
        )


def _check_config_file(d: Diagnosis, remote: bool, selected: str | None) -> str | None:
    """Fill the ``config_file`` section; return the selected config's token (locally)."""
    from ..config import config_file_path, list_configs, read_config
    from ..errors import ConfigFileNotFoundError, ConfigFileUnreadableError

    path = config_file_path()
    section: dict[str, Any] = {
        "path": str(path),
        "source": variables.CONFIG_PATH if os.environ.get(variables.CONFIG_PATH) else "default",
        "found": path.exists(),
        "readable": False,
        "valid": False,
        "configs": [],
        "selected": selected,
    }
    d.sections["config_file"] = section
    severity = "warning" if remote else "error"
    try:
        configs = list_configs(path)
    except ConfigFileNotFoundError as exc:
        if not remote:
            d.problem(severity, "config", str(exc))
        return None
    except ConfigFileUnreadableError as exc:
        d.problem(severity, "config", str(exc))
        return None
    except OrquestraMlflowError as exc:
        section["readable"] = True
        d.problem(severity, "config", str(exc))
        return None
    section.update(readable=True, valid=True)
    section["configs"] = [
        {"name": c.name, "runtime_name": c.runtime_name, "uri": c.uri, "has_token": bool(c.token)}
        for c in configs
    ]
    d.secrets.extend(c.token for c in configs if c.token)
    if remote:
        return None
    with_uri = [c.name for c in configs if c.uri]
    if not with_uri:
        d.problem(
            "error",
            "config",
            f"No config in {path} has a cluster URI, so none can reach a tracking server. Log "
            "in with `orq login -s <cluster URL>` (from orquestra-sdk).",
        )
    if selected is None:
        names = ", ".join(with_uri) or "none yet"
        d.problem(
            "warning",
            "config",
            f"No config chosen, so the token and tracking URI were not checked. Pass --config "
            f"NAME (configs with a cluster URI: {names}) or set {variables.CURRENT_CONFIG}.",
        )
        return None
    try:
        config = read_config(selected)
        config.require_uri()
        section["selected"] = config.name if selected != "auto" else f"auto ({config.name})"
        return config.require_token()
    except OrquestraMlflowError as exc:
        d.problem("error", "config", str(exc))
        return None


def _passport_token(d: Diagnosis) -> str | None:
    from ..passport import read_passport_token

    if not os.environ.get(variables.PASSPORT_FILE):
        return None  # already reported with the variables
    try:
        token = read_passport_token()
    except OrquestraMlflowError as exc:
        d.problem("error", "token", str(exc))
        return None
    d.secrets.append(token)
    return token


def _check_token(d: Diagnosis, token: str | None, remote: bool, selected: str | None) -> None:
    from ..errors import TokenError
    from ..tokens import decode_claims

    source = (
        f"the passport file ({variables.PASSPORT_FILE})"
        if remote
        else (f"the config {selected!r}" if selected else None)
    )
    section: dict[str, Any] = {
        "source": source,
        "present": token is not None,
        "jwt": None,
        "user": os.environ.get(variables.CURRENT_USER) or None,
        "expires_at": None,
        "expires_in_seconds": None,
        "expired": None,
    }
    d.sections["token"] = section
    if token is None:
        return
    fix = (
        "Restart the Studio session or task to get a fresh passport."
        if remote
        else "Log in again with `orq login -s <cluster URL>`."
    )
    try:
        claims = decode_claims(token, source=str(source))
    except TokenError:
        section["jwt"] = False
        d.problem(
            "warning",
            "token",
            f"The token of {source} is not a JWT, so its user and expiry are unknown and the "
            f"server may refuse it. {fix}",
        )
        return
    section["jwt"] = True
    email = claims.get("email")
    if section["user"] is None and isinstance(email, str) and email:
        section["user"] = email
    if section["user"] is None:
        d.problem(
            "warning",
            "token",
            f"The token of {source} has no 'email' claim, so `whoami` and get_current_user() "
            f"cannot tell the user. {fix}",
        )
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or isinstance(exp, bool):
        return
    import datetime

    left = float(exp) - time.time()
    when = datetime.datetime.fromtimestamp(float(exp), tz=datetime.timezone.utc)
    section.update(
        expires_at=when.isoformat(timespec="seconds").replace("+00:00", "Z"),
        expires_in_seconds=int(left),
        expired=left <= 0,
    )
    if left <= 0:
        d.problem(
            "error",
            "token",
            f"The token of {source} expired {human_duration(-left)} ago "
            f"({section['expires_at']}). {fix}",
        )
    elif left < EXPIRY_WARNING_SECONDS:
        d.problem(
            "warning",
            "token",
            f"The token of {source} expires in {human_duration(left)}. {fix}",
        )


def _check_artifacts_dir(d: Diagnosis) -> None:
    from pathlib import Path

    from ..artifacts import default_artifacts_dir

    override = os.environ.get(variables.MLFLOW_ARTIFACTS_DIR)
    path = Path(override).expanduser() if override else default_artifacts_dir()
    exists = path.exists()
    section: dict[str, Any] = {
        "path": str(path),
        "source": variables.MLFLOW_ARTIFACTS_DIR if override else "default",
        "exists": exists,
        "writable": False,
    }
    d.sections["artifacts_dir"] = section
    fix = f"Set {variables.MLFLOW_ARTIFACTS_DIR} to a writable directory."
    if exists and not path.is_dir():
        d.problem("error", "artifacts", f"The artifacts directory {path} is not a directory. {fix}")
        return
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    section["writable"] = probe.is_dir() and os.access(probe, os.W_OK | os.X_OK)
    if not section["writable"]:
        what = "is not writable" if exists else f"cannot be created ({probe} is not writable)"
        d.problem("error", "artifacts", f"The artifacts directory {path} {what}. {fix}")


def _check_tracking(
    d: Diagnosis, workspace_id: str, config_name: str | None, token: str | None
) -> None:
    from ..connection import get_tracking_uri
    from ..errors import NamespaceLookupError

    section: dict[str, Any] = {"workspace_id": workspace_id, "uri": None, "server": None}
    d.sections["tracking"] = section
    remote = d.sections["environment"]["kind"] == "remote"
    if not remote and config_name is None:
        return  # already reported: no config chosen
    try:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            section["uri"] = get_tracking_uri(workspace_id, None if remote else config_name)
    except NamespaceLookupError as exc:
        d.problem("error", "tracking", str(exc))
        return
    except OrquestraMlflowError as exc:
        # A missing variable or a bad config is reported already: one line per problem.
        if not any(p["severity"] == "error" for p in d.problems):
            d.problem("error", "tracking", str(exc))
        return
    current = os.environ.get(variables.TRACKING_URI)
    if current and current.rstrip("/") != section["uri"].rstrip("/"):
        d.problem(
            "warning",
            "tracking",
            f"{variables.TRACKING_URI} is set to {current}, not to workspace {workspace_id}'s "
            f'{section["uri"]}. Run `eval "$(orq-mlflow env {workspace_id} ...)"` to switch.',
        )
    if token is not None:
        section["server"] = check_server(d, section["uri"], token)


def check_server(d: Diagnosis, uri: str, token: str) -> dict[str, Any]:
    """One bounded GET to the tracking server with the token; records a problem if it fails."""
    import requests

    url = uri.rstrip("/") + SERVER_CHECK_PATH
    result: dict[str, Any] = {
        "url": url,
        "status": None,
        "ok": False,
        "seconds": None,
        "error": None,
    }
    started = time.monotonic()
    try:
        response = requests.get(
            url,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=SERVER_TIMEOUT,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        kind = "timed out" if isinstance(exc, requests.Timeout) else "connection failed"
        result.update(error=kind, seconds=round(time.monotonic() - started, 3))
        d.problem(
            "error",
            "server",
            f"The tracking server at {uri} did not answer ({kind}). Check your network (and "
            "VPN), and that MLflow is enabled for the workspace (Portal > workspace > Data > "
            "Connect).",
        )
        return result
    status = response.status_code
    result.update(status=status, ok=status == 200, seconds=round(time.monotonic() - started, 3))
    if status in (401, 403):
        d.problem(
            "error",
            "server",
            f"The tracking server at {uri} refused the token (HTTP {status}). Log in again with "
            "`orq login -s <cluster URL>` (in Studio/CE: restart the session or task), and "
            "check that you are a member of the workspace.",
        )
    elif status == 404:
        d.problem(
            "error",
            "server",
            f"No MLflow tracking server answers at {uri} (HTTP 404). Check the workspace ID, "
            "and enable MLflow for it (Portal > workspace > Data > Connect).",
        )
    elif status != 200:
        d.problem(
            "error",
            "server",
            f"The tracking server at {uri} answered HTTP {status}. Retry later; if it "
            "persists, contact your cluster admin.",
        )
    return result
