"""The passport: the cluster-local auth token of Studio sessions and CE tasks."""

from __future__ import annotations

from . import variables
from .errors import PassportError


def read_passport_token() -> str:
    """The token in the file named by ``ORQUESTRA_PASSPORT_FILE``, without surrounding whitespace.

    The file is read on every call: the platform rotates passports.
    """
    path = variables.require(variables.PASSPORT_FILE)
    try:
        with open(path, encoding="utf-8") as handle:
            token = handle.read().strip()
    except FileNotFoundError:
        raise PassportError(
            f"The passport file {path} (named by {variables.PASSPORT_FILE}) does not exist. "
            "The platform mounts it into Studio sessions and CE tasks; if it is missing, "
            "restart the session or task, or contact your cluster admin."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise PassportError(
            f"Cannot read the passport file {path} (named by {variables.PASSPORT_FILE}): "
            f"{reason}. Check that {variables.PASSPORT_FILE} names a readable file."
        ) from None
    if not token:
        raise PassportError(
            f"The passport file {path} (named by {variables.PASSPORT_FILE}) is empty. "
            "Restart the session or task so the platform writes a fresh passport."
        )
    return token
