"""What every command shares: exit statuses, error output, config-name resolution."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from .. import variables

OK = 0
#: An environment problem: something outside the command line is wrong.
FAILURE = 1
#: A usage mistake: the command line itself is wrong.
USAGE = 2
INTERRUPTED = 130


class CliError(Exception):
    """An expected failure: printed as one ``orq-mlflow: error: ...`` line, no traceback."""

    status = FAILURE

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status


class UsageError(CliError):
    """The command line is wrong (exit status 2)."""

    status = USAGE


def status_of(exc: BaseException) -> int:
    """The exit status for a library error: 2 for a bad argument, 1 for everything else."""
    from ..errors import InvalidArgumentError

    return USAGE if isinstance(exc, InvalidArgumentError) else FAILURE


def error(message: str) -> None:
    """Print ``message`` as an error line on stderr."""
    print(f"orq-mlflow: error: {message}", file=sys.stderr)


def note(message: str) -> None:
    """Print ``message`` as a warning line on stderr."""
    print(f"orq-mlflow: warning: {message}", file=sys.stderr)


def add_command(
    subparsers: Any, name: str, *, summary: str, description: str, examples: str
) -> argparse.ArgumentParser:
    """Add the parser of command ``name``, with its one-line ``summary`` and an examples epilog."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name,
        help=summary,
        description=description,
        epilog=f"examples:\n{examples.rstrip()}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser


def add_config_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--config NAME`` (the ``orq login`` config used on a local machine)."""
    parser.add_argument(
        "-c",
        "--config",
        metavar="NAME",
        help="the config written by `orq login` to use on a local machine (default: 'auto' "
        "when ORQ_CURRENT_CONFIG is set); ignored in Studio and CE",
    )


def local_config_name(given: str | None) -> str:
    """The config to use on a local machine: ``given``, else ``auto`` when ORQ_CURRENT_CONFIG is set.

    Raises:
        UsageError: neither was given; the message lists the configs that have a cluster URI.
    """
    if given:
        return given
    if os.environ.get(variables.CURRENT_CONFIG):
        return "auto"
    raise UsageError(
        "on a local machine, say which `orq login` config to use: --config NAME"
        f"{_known_remote_configs()} (or set {variables.CURRENT_CONFIG})."
    )


def config_for(given: str | None) -> str | None:
    """The config name to hand the library: ``None`` remotely (so no warning), else resolved."""
    from ..environment import is_remote

    if is_remote():
        if given:
            note(
                f"--config {given} is used only on a local machine; in Studio and CE the "
                "cluster-local URI and passport are used."
            )
        return None
    return local_config_name(given)


def _known_remote_configs() -> str:
    from ..config import list_configs
    from ..errors import OrquestraMlflowError

    try:
        names = [c.name for c in list_configs() if c.uri]
    except (OrquestraMlflowError, OSError):
        return ""
    return f" (configs with a cluster URI: {', '.join(names)})" if names else ""


def workspace_argument(given: str | None) -> str:
    """The workspace ID: ``given``, else ``ORQ_CURRENT_WORKSPACE`` (set in Studio and CE)."""
    if given:
        return given
    current = os.environ.get(variables.CURRENT_WORKSPACE)
    if current:
        return current
    raise UsageError(
        f"give the workspace ID (Orquestra Portal shows it), e.g. `orq-mlflow env my-ws`; "
        f"{variables.CURRENT_WORKSPACE} is not set to supply a default."
    )
