"""``orq-mlflow whoami``: print the Orquestra user name."""

from __future__ import annotations

import argparse
from typing import Any

from . import base

_EXAMPLES = """\
  orq-mlflow whoami --config prod-d     # the e-mail in prod-d's token
  orq-mlflow whoami                     # in Studio/CE: ORQ_CURRENT_USER or the passport's"""


def register(subparsers: Any) -> None:
    """Add the ``whoami`` command."""
    parser = base.add_command(
        subparsers,
        "whoami",
        summary="print the logged-in Orquestra user",
        description="Print the Orquestra user name (an e-mail address), as "
        "orquestra_mlflow.get_current_user() finds it: ORQ_CURRENT_USER when set, else the "
        "'email' claim of the token (locally the config's, in Studio/CE the passport's).",
        examples=_EXAMPLES,
    )
    base.add_config_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the current user."""
    import os

    from .. import variables
    from ..users import get_current_user

    config_name = None if os.environ.get(variables.CURRENT_USER) else base.config_for(args.config)
    print(get_current_user(config_name))
    return base.OK
