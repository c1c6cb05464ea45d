"""The workspace namespace lookup in Orquestra's resource catalog (Studio and CE only).

``GET {CATALOG_URL}/api/workspaces/zri:v1::0:system:resource_group:{workspace_id}``
with the passport as a bearer token answers ``{"namespace": ...}``. Each attempt
has a timeout; connection errors, timeouts and 5xx answers are retried with a
short backoff (:data:`ATTEMPTS` attempts within about 10 s); 4xx answers are not.
Successful answers are cached per cluster and workspace for :data:`CACHE_TTL`
seconds; failures are never cached. Safe to call from many threads: concurrent
look-ups of one workspace send one request.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from .errors import (
    CatalogUnreachableError,
    MalformedCatalogResponseError,
    PassportRefusedError,
    WorkspaceNotFoundError,
)
from .tokens import redact

if TYPE_CHECKING:
    import requests

CATALOG_URL = "http://orquestra-resource-catalog.resource-catalog"
#: Seconds to wait for a connection, and for each read, on every attempt.
TIMEOUT = (1.0, 2.0)
#: Attempts in all (the first one and the retries).
ATTEMPTS = 3
#: Seconds a successful look-up stays cached.
CACHE_TTL = 600.0

_cache: dict[tuple[str, str], tuple[str, float]] = {}
_key_locks: dict[tuple[str, str], threading.Lock] = {}
_lock = threading.Lock()


def workspace_zri(workspace_id: str) -> str:
    """The resource identifier of a workspace, as the resource catalog names it."""
    return f"zri:v1::0:system:resource_group:{workspace_id}"


def workspace_url(workspace_id: str) -> str:
    """The resource catalog URL that describes ``workspace_id``."""
    return f"{CATALOG_URL}/api/workspaces/{workspace_zri(workspace_id)}"


def clear_namespace_cache() -> None:
    """Forget every cached namespace, so the next look-up asks the resource catalog again."""
    with _lock:
        _cache.clear()


def get_workspace_namespace(workspace_id: str, token: str, cluster: str = "") -> str:
    """The Kubernetes namespace of ``workspace_id``, from the cache or the resource catalog."""
    key = (cluster, workspace_id)
    cached = _cached(key)
    if cached is not None:
        return cached
    with _lock:
        key_lock = _key_locks.setdefault(key, threading.Lock())
    with key_lock:
        cached = _cached(key)  # another thread may have looked it up meanwhile
        if cached is not None:
            return cached
        namespace = _fetch_namespace(workspace_id, token)
        with _lock:
            _cache[key] = (namespace, time.monotonic() + CACHE_TTL)
        return namespace


def _cached(key: tuple[str, str]) -> str | None:
    with _lock:
        entry = _cache.get(key)
        if entry is None:
            return None
        if entry[1] <= time.monotonic():
            del _cache[key]
            return None
        return entry[0]


def _session() -> requests.Session:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    retry = Retry(
        total=ATTEMPTS - 1,
        connect=ATTEMPTS - 1,
        read=ATTEMPTS - 1,
        status=ATTEMPTS - 1,
        other=0,
        backoff_factor=0.25,
        backoff_max=1.0,
        status_forcelist=(500, 502, 503, 504),
        allowed_methods=frozenset({"GET"}),
        raise_on_status=False,
        respect_retry_after_header=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _fetch_namespace(workspace_id: str, token: str) -> str:
    import requests

    url = workspace_url(workspace_id)
    try:
        with _session() as session:
            response = session.get(
                url,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                timeout=TIMEOUT,
            )
    except requests.RequestException as exc:
        cause = redact(_describe(exc), token)
        raise CatalogUnreachableError(
            f"The resource catalog at {CATALOG_URL} did not answer the namespace look-up for "
            f"workspace {workspace_id!r} after {ATTEMPTS} attempts ({cause}). The resource "
            "catalog is reachable only from inside the cluster; retry later, and if it "
            "persists, contact your cluster admin."
        ) from None
    status = response.status_code
    if status in (401, 403):
        raise PassportRefusedError(
            f"The resource catalog refused the passport token (HTTP {status}) when looking up "
            f"workspace {workspace_id!r}. The passport may have expired or may not grant "
            "access to this workspace: restart the Studio session or task to get a fresh "
            "one, and check that you are a member of the workspace."
        )
    if status == 404:
        raise WorkspaceNotFoundError(
            f"The resource catalog knows no workspace {workspace_id!r} (HTTP 404). Check the "
            "workspace ID (Orquestra Portal shows it, and ORQ_CURRENT_WORKSPACE holds the "
            "current one)."
        )
    if status >= 500:
        raise CatalogUnreachableError(
            f"The resource catalog answered HTTP {status} to the namespace look-up for workspace "
            f"{workspace_id!r}, {ATTEMPTS} times. Retry later; if it persists, contact your "
            "cluster admin."
        )
    if status != 200:
        raise MalformedCatalogResponseError(
            f"The resource catalog answered HTTP {status} to the namespace look-up for workspace "
            f"{workspace_id!r}; expected 200 with the workspace's namespace. Contact your "
            "cluster admin."
        )
    try:
        payload = response.json()
    except ValueError:
        payload = None
    namespace = payload.get("namespace") if isinstance(payload, dict) else None
    if not isinstance(namespace, str) or not namespace.strip():
        what = "is not JSON" if payload is None else 'has no "namespace" string'
        raise MalformedCatalogResponseError(
            f"The resource catalog's answer for workspace {workspace_id!r} {what}, so the "
            "workspace's namespace is unknown. Contact your cluster admin."
        )
    return namespace.strip()


def _describe(exc: BaseException) -> str:
    import requests

    if isinstance(exc, requests.Timeout):
        return "timed out"
    if isinstance(exc, requests.ConnectionError):
        # After the retries are used up, requests reports a read timeout as a
        # ConnectionError wrapping urllib3's MaxRetryError(reason=ReadTimeoutError).
        from urllib3.exceptions import TimeoutError as Urllib3Timeout

        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        return "timed out" if isinstance(reason, Urllib3Timeout) else "connection failed"
    return type(exc).__name__
