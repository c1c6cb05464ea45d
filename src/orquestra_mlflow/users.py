"""The Orquestra user name of whoever runs the code."""

from __future__ import annotations

import os

from . import variables
from .config import read_config
from .connection import require_local_config_name
from .environment import is_remote
from .passport import read_passport_token
from .tokens import email_claim


def get_current_user(config_name: str | None = None) -> str:
    """The logged-in user's name (an e-mail address).

    ``ORQ_CURRENT_USER`` when set (Studio and CE set it); else the ``email`` claim
    of the token: locally the token of the config ``config_name`` (required), in
    Studio and CE the passport. The token's signature is not verified.

    Raises:
        InvalidArgumentError: ``config_name`` is missing locally and ``ORQ_CURRENT_USER`` is unset.
        TokenError: the token is not a JWT or has no ``email`` claim (a ``ValueError``).
    """
    user = os.environ.get(variables.CURRENT_USER)
    if user:
        return user
    if is_remote():
        return email_claim(
            read_passport_token(), source=f"the passport file ({variables.PASSPORT_FILE})"
        )
    config = read_config(require_local_config_name(config_name))
    return email_claim(config.require_token(), source=f"the config {config.name!r}")
