"""MLflow request auth provider ``orquestra``: the current Orquestra token on every request.

Selected with ``MLFLOW_TRACKING_AUTH=orquestra`` (``orquestra_mlflow.tracking()``
sets it). MLflow asks this provider for an auth object for every request, and
the auth object reads the token when the request is sent:

* in Studio and CE, the passport file named by ``ORQUESTRA_PASSPORT_FILE``
  (which the platform rotates);
* on a local machine, the token of the config named by ``ORQ_MLFLOW_CONFIG_NAME``
  (``tracking()`` sets it), else of the config named by ``ORQ_CURRENT_CONFIG``,
  from the file that ``orq login`` rewrites.

A token rotated mid-run is therefore used by the next request. Reading it
costs one ``os.stat`` while the file is unchanged (see
:mod:`orquestra_mlflow.token_source`). The auth object sets the
``Authorization`` header itself, so it wins over ``MLFLOW_TRACKING_TOKEN``.

When the server answers 401, the error MLflow raises says whether the token
expired, where it came from and how to log in again; the token itself never
appears in it.

To use it without ``tracking()``::

    os.environ["MLFLOW_TRACKING_URI"] = orquestra_mlflow.get_tracking_uri("my-ws", "prod-d")
    os.environ["MLFLOW_TRACKING_AUTH"] = "orquestra"
    os.environ["ORQ_MLFLOW_CONFIG_NAME"] = "prod-d"  # locally only
"""

from __future__ import annotations

import json
from typing import Any

from mlflow.tracking.request_auth.abstract_request_auth_provider import RequestAuthProvider
from requests.auth import AuthBase

#: The value of ``MLFLOW_TRACKING_AUTH`` that selects this provider.
PROVIDER_NAME = "orquestra"


class OrquestraAuth(AuthBase):
    """Sets ``Authorization: Bearer <current token>`` on a request when it is sent.

    ``config_name`` fixes the local config; ``None`` resolves it when each
    request is sent (``ORQ_MLFLOW_CONFIG_NAME``, else ``ORQ_CURRENT_CONFIG``).
    """

    def __init__(self, config_name: str | None = None) -> None:
        self.config_name = config_name

    def __repr__(self) -> str:
        return f"OrquestraAuth(config_name={self.config_name!r})"

    def __call__(self, request: Any) -> Any:
        from orquestra_mlflow.token_source import read_token, token_source

        source = token_source(self.config_name)
        token = read_token(source)
        request.headers["Authorization"] = f"Bearer {token}"

        def explain_refusal(response: Any, *args: Any, **kwargs: Any) -> Any:
            if response.status_code == 401:
                explain_401(response, token, source)
            return response

        request.register_hook("response", explain_refusal)
        return request


def explain_401(response: Any, token: str, source: Any) -> None:
    """Rewrite the body of a 401 ``response`` so MLflow's error says why and what to do.

    MLflow raises the body's ``message`` (JSON) as its error. The new message
    keeps the server's words (without the token), then says whether ``token``
    expired, where it came from, and how to log in again.
    """
    from orquestra_mlflow.token_source import expiry_problem
    from orquestra_mlflow.tokens import redact

    try:
        payload = json.loads(response.content or b"{}")
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        payload = {"message": response.text or ""}
    server_says = redact(str(payload.get("message") or "").strip(), token)
    problem = expiry_problem(token, source) or (
        f"The tracking server refused the Orquestra token from {source.description} "
        f"(HTTP 401): it is not valid for this server or was revoked. {source.login_hint()}"
    )
    message = f"{server_says.rstrip('.')}. {problem}" if server_says else problem
    payload = {
        "error_code": str(payload.get("error_code") or "UNAUTHENTICATED"),
        "message": message,
    }
    response._content = json.dumps(payload).encode("utf-8")
    response.encoding = "utf-8"
    response.headers["Content-Type"] = "application/json"


class OrquestraRequestAuthProvider(RequestAuthProvider):
    """The ``orquestra`` request auth provider (entry point ``mlflow.request_auth_provider``)."""

    def get_name(self) -> str:
        """``"orquestra"``: the value of ``MLFLOW_TRACKING_AUTH`` that selects this provider."""
        return PROVIDER_NAME

    def get_auth(self) -> OrquestraAuth:
        """A fresh auth object; MLflow calls this for every request."""
        return OrquestraAuth()
