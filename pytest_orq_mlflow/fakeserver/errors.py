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

# The real server also sends an ``error_class`` and a ``sqlstate``, derived from the code as
# in ``mlflow.error_classification`` (client side); a code missing here sends neither.
_ERROR_CLASS = {
    "BAD_REQUEST": "INVALID_PARAMETER_VALUE",
    "ENDPOINT_NOT_FOUND": "RESOURCE_NOT_FOUND",
    "INTERNAL_ERROR": "CLIENT_INTERNAL_ERROR",
    "INVALID_PARAMETER_VALUE": "INVALID_PARAMETER_VALUE",
    "INVALID_STATE": "CLIENT_INTERNAL_ERROR",
    "PERMISSION_DENIED": "PERMISSION_DENIED",
    "RESOURCE_ALREADY_EXISTS": "RESOURCE_ALREADY_EXISTS",
    "RESOURCE_DOES_NOT_EXIST": "RESOURCE_NOT_FOUND",
}
_INTERNAL_SQLSTATE = "XXM00"
_CLIENT_SQLSTATE = "KAM00"


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
        out: dict[str, Any] = {"error_code": self.error_code, "message": self.message}
        error_class = _ERROR_CLASS.get(self.error_code)
        if error_class is not None:
            out["sqlstate"] = (
                _INTERNAL_SQLSTATE if error_class == "CLIENT_INTERNAL_ERROR" else _CLIENT_SQLSTATE
            )
            out["error_class"] = error_class
        return out

    def __repr__(self) -> str:
        return f"MlflowApiError({self.error_code!r}, {self.message!r}, {self.http_status})"


class DetailError(MlflowApiError):
    """An error the real server answers from its FastAPI routes (the artifact ones).

    Its body is FastAPI's ``{"detail": message}``, with no ``error_code``.
    """

    def __init__(self, message: str, http_status: int = 400) -> None:
        super().__init__("INVALID_PARAMETER_VALUE", message, http_status)

    def to_json(self) -> dict[str, Any]:
        """FastAPI's ``HTTPException`` body."""
        return {"detail": self.message}

    def __repr__(self) -> str:
        return f"DetailError({self.message!r}, {self.http_status})"


def invalid(message: str) -> MlflowApiError:
    """An ``INVALID_PARAMETER_VALUE`` error (HTTP 400)."""
    return MlflowApiError("INVALID_PARAMETER_VALUE", message)


def not_found(message: str) -> MlflowApiError:
    """A ``RESOURCE_DOES_NOT_EXIST`` error (HTTP 404)."""
    return MlflowApiError("RESOURCE_DOES_NOT_EXIST", message)
