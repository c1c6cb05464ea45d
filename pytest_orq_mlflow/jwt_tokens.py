"""Test JWTs shaped like Orquestra's: HS256, signed with a fixed test key, an ``email`` claim.

The library never verifies signatures, so any key works; a fixed key keeps tokens
reproducible. PyJWT is a dependency of ``orquestra-mlflow`` itself.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

#: The HMAC key of every test token (32+ bytes, so PyJWT does not warn about its length).
TEST_KEY = "orquestra-mlflow-test-signing-key-not-a-secret"
#: Seconds a fresh test token stays valid.
DEFAULT_LIFETIME = 3600

_serial = itertools.count(1)


def make_token(
    email: str | None,
    *,
    expires_in: float = DEFAULT_LIFETIME,
    key: str = TEST_KEY,
    **claims: Any,
) -> str:
    """A signed JWT whose ``email`` claim is ``email`` and whose ``exp`` is ``expires_in`` s away.

    Every call gives a different token (a ``jti`` claim counts them), so a rotated
    token never equals the one it replaces. ``email=None`` leaves the claim out;
    a negative ``expires_in`` makes an already expired token. Extra ``claims``
    are added to the payload.
    """
    import jwt

    now = int(time.time())
    payload: dict[str, Any] = {"iat": now, "exp": now + int(expires_in), "jti": str(next(_serial))}
    if email is not None:
        payload["email"] = email
    payload.update(claims)
    return jwt.encode(payload, key, algorithm="HS256")


def claims_of(token: str) -> dict[str, Any]:
    """The payload of ``token``, without verifying its signature or expiry."""
    from orquestra_mlflow.tokens import decode_claims

    return decode_claims(token, source="the test token")
