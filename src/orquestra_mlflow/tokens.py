"""Reading JWT claims (signature not verified) and keeping tokens out of text."""

from __future__ import annotations

from typing import Any

from .errors import TokenError


def decode_claims(token: str, *, source: str) -> dict[str, Any]:
    """The payload of the JWT ``token``, without verifying its signature.

    ``source`` says where the token came from (for example ``"the config 'prod-d'"``)
    and is used in the error raised when ``token`` is not a JWT.
    """
    import jwt

    try:
        claims = jwt.decode(token, options={"verify_signature": False, "verify_exp": False})
    except jwt.PyJWTError as exc:
        raise TokenError(
            f"The token of {source} is not a valid JWT ({type(exc).__name__}), so the user "
            "name cannot be read from it. Log in again with `orq login -s <cluster URL>`."
        ) from None
    if not isinstance(claims, dict):  # pragma: no cover - PyJWT always returns a dict
        raise TokenError(f"The token of {source} has no JSON object as its payload.")
    return claims


def email_claim(token: str, *, source: str) -> str:
    """The ``email`` claim of the JWT ``token``: the Orquestra user name."""
    email = decode_claims(token, source=source).get("email")
    if not isinstance(email, str) or not email:
        raise TokenError(
            f"The token of {source} has no 'email' claim, so the user name cannot be read "
            "from it. Log in again with `orq login -s <cluster URL>`, or set ORQ_CURRENT_USER."
        )
    return email


def expiry(token: str) -> float | None:
    """The ``exp`` claim of ``token`` (seconds since the epoch), or ``None`` if it has none or is no JWT."""
    try:
        exp = decode_claims(token, source="the token").get("exp")
    except TokenError:
        return None
    return float(exp) if isinstance(exp, (int, float)) and not isinstance(exp, bool) else None


def human_duration(seconds: float) -> str:
    """``seconds`` as a short English duration: ``45 s``, ``12 min``, ``5 h``, ``3 days``."""
    seconds = abs(seconds)
    if seconds < 90:
        return f"{int(seconds)} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    if seconds < 48 * 3600:
        return f"{round(seconds / 3600)} h"
    return f"{round(seconds / 86400)} days"


def redact(text: str, *secrets: str | None) -> str:
    """``text`` with every occurrence of each non-empty secret replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
