"""``orq-mlflow doctor``: diagnose the setup without printing any secret.

``--json`` prints one object (``version`` 1; fields are only ever added)::

    {
      "version": 1,
      "ok": true,                  # false when a problem would stop MLflow from working
      "environment": {"kind": "local" | "remote", "reason": str, "cluster": str | null},
      "variables": [{"name": str, "set": bool, "value": str | null, "secret": bool}],
                                   # secret values are "***"
      "config_file": {"path": str, "source": "ORQ_CONFIG_PATH" | "default", "found": bool,
                      "readable": bool, "valid": bool, "selected": str | null,
                      "configs": [{"name": str, "runtime_name": str, "uri": str | null,
                                   "has_token": bool}]},
      "token": {"source": str | null, "present": bool, "jwt": bool | null, "user": str | null,
                "expires_at": "2030-01-01T00:00:00Z" | null, "expires_in_seconds": int | null,
                "expired": bool | null},
      "artifacts_dir": {"path": str, "source": "ORQ_MLFLOW_ARTIFACTS_DIR" | "default",
                        "exists": bool, "writable": bool},
      "tracking": null | {"workspace_id": str, "uri": str | null,
                          "server": null | {"url": str, "status": int | null, "ok": bool,
                                            "seconds": float | null, "error": str | null}},
      "problems": [{"severity": "error" | "warning", "topic": str, "message": str}]
    }

``topic`` is one of ``variables``, ``config``, ``token``, ``artifacts``,
``tracking``, ``server``. The exit status is 1 when any problem is an
``error``, else 0 (warnings alone do not fail).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from . import base

_DESCRIPTION = """\
Check everything MLflow needs here, and say how to fix what is wrong: the
detected environment and why, the platform variables (secrets redacted), the
`orq login` config file, the token (JWT, user, expiry; never its value), the
artifacts directory, and, given a workspace ID, the tracking URI and whether
the tracking server answers (one request, a few seconds at most).

Exits 1 when something would stop MLflow from working, else 0."""

_EXAMPLES = """\
  orq-mlflow doctor                              # environment, config file, artifacts dir
  orq-mlflow doctor my-ws --config prod-d        # ... plus prod-d's token and the server
  orq-mlflow doctor my-ws --json | jq .problems  # machine-readable (shape: see the docs)"""


def register(subparsers: Any) -> None:
    """Add the ``doctor`` command."""
    parser = base.add_command(
        subparsers,
        "doctor",
        summary="diagnose the setup (never prints a secret)",
        description=_DESCRIPTION,
        examples=_EXAMPLES,
    )
    parser.add_argument(
        "workspace_id",
        metavar="WORKSPACE_ID",
        nargs="?",
        help="also resolve this workspace's tracking URI and ask its server",
    )
    base.add_config_option(parser)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run every check, print the report, and return 1 if it found an error."""
    from ..connection import validate_workspace_id
    from .diagnose import diagnose

    if args.workspace_id is not None:
        validate_workspace_id(args.workspace_id)
    report = diagnose(args.workspace_id, args.config)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(render_text(report), end="")
    return base.OK if report["ok"] else base.FAILURE


def _yes(flag: Any) -> str:
    return "yes" if flag else "no"


def render_text(report: dict[str, Any]) -> str:
    """The human-readable report."""
    lines: list[str] = []
    add = lines.append
    env = report["environment"]
    add(f"Environment      {env['kind']}")
    add(f"  why            {env['reason']}")
    add("Variables")
    for row in report["variables"]:
        value = "(not set)" if not row["set"] else repr(row["value"])
        add(f"  {row['name']:<26} {value}")
    cfg = report["config_file"]
    source = "from ORQ_CONFIG_PATH" if cfg["source"] != "default" else "default location"
    add(f"Config file      {cfg['path']} ({source})")
    add(
        f"  found {_yes(cfg['found'])}, readable {_yes(cfg['readable'])}, "
        f"valid {_yes(cfg['valid'])}"
    )
    for c in cfg["configs"]:
        uri = c["uri"] or "no cluster URI"
        token = "token" if c["has_token"] else "no token"
        mark = "*" if cfg["selected"] and cfg["selected"].endswith(c["name"]) else " "
        add(f"  {mark} {c['name']:<20} {c['runtime_name']:<12} {uri} ({token})")
    if cfg["selected"]:
        add(f"  selected       {cfg['selected']}")
    tok = report["token"]
    add(f"Token            {tok['source'] or '(none checked)'}")
    if tok["present"]:
        jwt = {True: "a JWT", False: "not a JWT", None: "?"}[tok["jwt"]]
        add(f"  present        yes, {jwt}")
        if tok["expires_at"]:
            from ..tokens import human_duration

            left = tok["expires_in_seconds"]
            when = f"in {human_duration(left)}" if left > 0 else f"{human_duration(left)} ago"
            state = "expired" if tok["expired"] else "expires"
            add(f"  {state:<14} {tok['expires_at']} ({when})")
        elif tok["jwt"]:
            add("  expires        never (no 'exp' claim)")
    elif tok["source"]:
        add("  present        no")
    add(f"  user           {tok['user'] or '(unknown)'}")
    art = report["artifacts_dir"]
    add(f"Artifacts dir    {art['path']}")
    exists = "exists" if art["exists"] else "will be created"
    add(f"  {exists}, writable {_yes(art['writable'])}")
    trk = report["tracking"]
    if trk is not None:
        add(f"Tracking         workspace {trk['workspace_id']}")
        add(f"  URI            {trk['uri'] or '(not resolved)'}")
        srv = trk["server"]
        if srv is not None:
            answer = (
                f"HTTP {srv['status']}" if srv["status"] is not None else f"no ({srv['error']})"
            )
            add(f"  server         {answer} in {srv['seconds']} s")
    problems = report["problems"]
    add("")
    if not problems:
        add("No problems found.")
    else:
        errors = sum(p["severity"] == "error" for p in problems)
        add(f"Problems ({errors} error(s), {len(problems) - errors} warning(s)):")
        for p in problems:
            add(f"  {p['severity']}: {p['message']}")
    return "\n".join(lines) + "\n"
