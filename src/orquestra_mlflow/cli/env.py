"""``orq-mlflow env``: print MLFLOW_TRACKING_URI and MLFLOW_TRACKING_TOKEN for a shell."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .. import variables
from . import base, formats

_DESCRIPTION = """\
Print the MLFLOW_TRACKING_URI and MLFLOW_TRACKING_TOKEN settings of a
workspace's tracking server for the current environment, as commands for your
shell (or a dotenv/JSON file). The `mlflow` CLI and any script started from
that shell then talk to the workspace's server.

This is the only command that prints the token, and only on stdout: do not
paste its output anywhere public."""

_EXAMPLES = """\
  eval "$(orq-mlflow env my-ws --config prod-d)"               # bash, zsh, sh
  orq-mlflow env my-ws --config prod-d --format fish | source  # fish
  orq-mlflow env my-ws -c prod-d --format powershell | Invoke-Expression
  orq-mlflow env my-ws -c prod-d --format dotenv > .env
  eval "$(orq-mlflow env)"            # in Studio: the current workspace"""


def register(subparsers: Any) -> None:
    """Add the ``env`` command."""
    parser = base.add_command(
        subparsers,
        "env",
        summary="print MLFLOW_TRACKING_URI/MLFLOW_TRACKING_TOKEN for your shell",
        description=_DESCRIPTION,
        examples=_EXAMPLES,
    )
    parser.add_argument(
        "workspace_id",
        metavar="WORKSPACE_ID",
        nargs="?",
        help="the workspace ID shown in Orquestra Portal (default in Studio/CE: "
        "ORQ_CURRENT_WORKSPACE)",
    )
    base.add_config_option(parser)
    parser.add_argument(
        "-f",
        "--format",
        choices=formats.FORMATS,
        default="sh",
        help="output syntax (default: sh, for bash/zsh/dash)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Resolve the tracking URI and token and print them in ``args.format``."""
    from ..connection import get_tracking_token, get_tracking_uri, validate_workspace_id

    workspace_id = validate_workspace_id(base.workspace_argument(args.workspace_id))
    config_name = base.config_for(args.config)
    uri = get_tracking_uri(workspace_id, config_name=config_name)
    token = get_tracking_token(config_name=config_name)
    sys.stdout.write(
        formats.render({variables.TRACKING_URI: uri, variables.TRACKING_TOKEN: token}, args.format)
    )
    return base.OK
