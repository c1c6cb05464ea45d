"""The typed error the fake tracking backend raises, shaped like MLflow's REST errors."""

from __future__ import annotations

from typing import Any

#: HTTP status per MLflow error code, as in ``mlflow.exceptions.ERROR_CODE_TO_HTTP_STATUS``.
HTTP_STATUS: dict[str, int] = {
    "INTERNAL_ERROR": 500,
    "INVALID_STATE": 500,
    "NOT_IMPLEMENTED": 501,
    "RESOURCE_CONFLICT": 409,
    "ENDPOINT_NOT_FOUND": 404,
    "RESOURCE_DOES_NOT_EXIST": 404,
    "PERMISSION_DENIED": 403,
    "UNAUTHENTICATED": 401,
    "BAD_REQUEST": 400,
    "RESOURCE_ALREADY_EXISTS": 400,
    "INVALID_PARAMETER_VALUE": 400,
}

# The real server also sends an ``error_class``; it differs from the code only here.
_ERROR_CLASS = {"RESOURCE_DOES_NOT_EXIST": "RESOURCE_NOT_FOUND"}


class MlflowApiError(Exception):
    """An MLflow REST error: an ``error_code`` (``RESOURCE_DOES_NOT_EXIST``, ...) and a message.

    ``http_status`` is the status the real tracking server answers for that code.
    """

    def __init__(self, error_code: str, message: str, http_status: int | None = None) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.message = message
        self.http_status = http_status or HTTP_STATUS.get(error_code, 400)

    def to_json(self) -> dict[str, Any]:
        """The JSON body the real server sends for this error."""
        return {
            "error_code": self.error_code,
            "message": self.message,
            "sqlstate": "KAM00",
            "error_class": _ERROR_CLASS.get(self.error_code, self.error_code),
        }

    def __repr__(self) -> str:
        return f"MlflowApiError({self.error_code!r}, {self.message!r}, {self.http_status})"


def invalid(message: str) -> MlflowApiError:
    """An ``INVALID_PARAMETER_VALUE`` error (HTTP 400)."""
    return MlflowApiError("INVALID_PARAMETER_VALUE", message)


def not_found(message: str) -> MlflowApiError:
    """A ``RESOURCE_DOES_NOT_EXIST`` error (HTTP 404)."""
    return MlflowApiError("RESOURCE_DOES_NOT_EXIST", message)
