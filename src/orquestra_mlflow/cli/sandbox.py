"""``orq-mlflow sandbox``: run the fake workspace until interrupted, for trying scripts by hand."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from . import base, formats

_DESCRIPTION = """\
Run a fake Orquestra workspace on this machine (a fake MLflow tracking server
and resource catalog on 127.0.0.1) until you press Ctrl-C, and print the
variables that make a process look like it runs on a laptop after `orq login`,
in Orquestra Studio, or in a Compute Engine task. Export one block in another
(throwaway) shell and run your script or the `mlflow` CLI unchanged.

The tokens are test tokens; they are never printed, only written to the
config and passport files whose paths are shown. On exit, every file the
sandbox wrote is deleted and the runs it received are forgotten."""

_EXAMPLES = """\
  orq-mlflow sandbox                     # then, in another shell, paste one block, and:
      eval "$(orq-mlflow env demo-ws --config sandbox)" && python train.py
  orq-mlflow sandbox --port 5000 --format json"""


def register(subparsers: Any) -> None:
    """Add the ``sandbox`` command."""
    parser = base.add_command(
        subparsers,
        "sandbox",
        summary="run a fake Orquestra workspace locally until Ctrl-C",
        description=_DESCRIPTION,
        examples=_EXAMPLES,
    )
    parser.add_argument(
        "-p", "--port", type=int, default=0, help="port on 127.0.0.1 (default: any free port)"
    )
    parser.add_argument(
        "-f",
        "--format",
        choices=formats.FORMATS,
        default="sh",
        help="syntax of the printed variables (json: one object on one line)",
    )
    parser.set_defaults(handler=run)


def shell_variables(prepared: Any) -> dict[str, str]:
    """The variables to export in a user's shell for one environment (never ``HOME``).

    Locally the config file and artifacts directory are named explicitly
    (``ORQ_CONFIG_PATH``, ``ORQ_MLFLOW_ARTIFACTS_DIR``) instead of moving ``HOME``.
    """
    variables = {k: v for k, v in prepared.setup.variables.items() if k != "HOME"}
    if prepared.kind == "local":
        sandbox = prepared.setup.sandbox
        variables["ORQ_CONFIG_PATH"] = str(sandbox.config_path)
        variables["ORQ_MLFLOW_ARTIFACTS_DIR"] = str(sandbox.default_artifacts_dir)
    return dict(sorted(variables.items()))


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM, then clean up and exit 0."""
    from . import fake

    if not 0 <= args.port <= 65535:
        raise base.UsageError(f"--port must be between 1 and 65535, not {args.port}.")
    try:
        with fake.fake_session(args.port, prefix="orq-mlflow-sandbox-") as session:
            prepared = [session.prepare(kind) for kind in fake.KINDS]
            sys.stdout.write(_announcement(session, prepared, args.format))
            sys.stdout.flush()
            try:
                while True:
                    time.sleep(1)
            except KeyboardInterrupt:
                runs = len(session.workspace.server.runs)
                print(
                    f"orq-mlflow sandbox: stopped after receiving {runs} run(s); removed "
                    f"{session.root}.",
                    file=sys.stderr,
                )
    except OSError as exc:
        if fake.address_in_use(exc):
            raise base.CliError(
                f"cannot listen on 127.0.0.1:{args.port} ({exc.strerror}). Choose another "
                "--port, or leave it out to use any free port."
            ) from None
        raise
    return base.OK


def _announcement(session: Any, prepared: list[Any], fmt: str) -> str:
    from . import fake

    settings = session.workspace.settings
    if fmt == "json":
        import json

        document = {
            "url": session.url,
            "workspace_id": settings.workspace_id,
            "config_name": settings.config_name,
            "user": settings.user,
            "root": str(session.root),
            "environments": {p.kind: shell_variables(p) for p in prepared},
        }
        return json.dumps(document) + "\n"
    comment = "#"
    lines = [
        f"{comment} Orquestra MLflow sandbox: fake workspace '{settings.workspace_id}' "
        f"on {session.url}",
        f"{comment} Its files (config and passport holding test tokens) are under {session.root}",
        f"{comment} In another shell, paste ONE block below, then point MLflow at the workspace:",
        f'{comment}   eval "$(orq-mlflow env {settings.workspace_id} --config '
        f'{settings.config_name})"   # --config is ignored in the studio/ce blocks',
        f"{comment} and run your script or `mlflow` commands.",
    ]
    out = "\n".join(lines) + "\n"
    for p in prepared:
        out += f"\n{comment} {p.kind}: {fake.DESCRIPTIONS[p.kind]}\n"
        out += formats.render(shell_variables(p), fmt)
    out += f"\n{comment} Serving until Ctrl-C; then every file above is deleted.\n"
    return out
