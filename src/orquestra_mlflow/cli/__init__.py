"""``orq-mlflow``: the command-line side of :mod:`orquestra_mlflow`.

Every command lives in its own module with a ``register(subparsers)`` that
adds its parser and a ``run(args) -> int`` that does the work. Only the
standard library is imported until a command runs, so ``orq-mlflow --help``
starts fast (it never imports mlflow or requests).

Exit status: 0 on success, 1 for an environment problem (no config, an
unreachable server, a failed check), 2 for a usage mistake, 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import artifacts, base, demo, doctor, env, sandbox, whoami

PROG = "orq-mlflow"

_DESCRIPTION = """\
Connect MLflow to your Orquestra workspace's tracking server from a shell,
check the setup, and try the whole thing locally against a fake workspace.

The same rules as the Python utilities apply: on a local machine the tracking
URI and token come from a config written by `orq login`; in Orquestra Studio
and in Compute Engine tasks (ORQ_CURRENT_CLUSTER is set) they come from the
platform's variables and passport file."""

_EPILOG = """\
examples:
  orq-mlflow demo                                  # see it all work, no cluster needed
  eval "$(orq-mlflow env my-ws --config prod-d)"   # point `mlflow` at a workspace
  orq-mlflow doctor my-ws --config prod-d          # find out what is wrong

exit status: 0 success, 1 environment problem, 2 usage mistake, 130 interrupted.
Run `orq-mlflow COMMAND --help` for a command's options."""


def build_parser() -> argparse.ArgumentParser:
    """The ``orq-mlflow`` argument parser with every command registered."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for module in (env, doctor, whoami, artifacts, sandbox, demo):
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``orq-mlflow`` with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error (status 2)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_usage(sys.stderr)
        base.error(f"choose a command. Run `{PROG} --help` to see them all.")
        return base.USAGE
    try:
        status: int = handler(args)
    except base.CliError as exc:
        base.error(str(exc))
        return exc.status
    except KeyboardInterrupt:
        base.error("interrupted.")
        return base.INTERRUPTED
    except BrokenPipeError:  # e.g. `orq-mlflow doctor | head -1`
        return base.FAILURE
    except Exception as exc:
        from ..errors import OrquestraMlflowError

        if not isinstance(exc, OrquestraMlflowError):
            raise
        base.error(str(exc))
        return base.status_of(exc)
    return status


def _version() -> str:
    from .. import __version__

    return __version__


__all__ = ["build_parser", "main"]
