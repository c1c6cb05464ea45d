"""Transient catalog failures over real HTTP: a loopback fake reached through HTTP_PROXY.

The in-process transport answers without sockets, so timeouts and urllib3's
retries are exercised here against a real (slow) loopback server instead.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import orquestra_mlflow as om
from orquestra_mlflow import catalog
from pytest_orq_mlflow import FakeWorkspace


@pytest.fixture
def remote_over_loopback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeWorkspace]:
    with FakeWorkspace().start("loopback") as ws:
        for name, value in ws.environment_variables("studio", tmp_path).items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(catalog, "TIMEOUT", (0.5, 0.3))
        om.clear_namespace_cache()
        yield ws
        om.clear_namespace_cache()


def test_lookup_works_through_the_proxy(remote_over_loopback: FakeWorkspace) -> None:
    assert om.get_tracking_uri("ws-test") == "http://mlflow.ws-test-ns:8080"


def test_timeouts_are_retried_three_times_within_ten_seconds(
    remote_over_loopback: FakeWorkspace,
) -> None:
    remote_over_loopback.catalog.fail("timeout")
    started = time.monotonic()
    with pytest.raises(om.CatalogUnreachableError, match="timed out"):
        om.get_tracking_uri("ws-test")
    assert time.monotonic() - started < 10
    assert len(remote_over_loopback.catalog.lookups()) >= 3


def test_transient_5xx_then_success(remote_over_loopback: FakeWorkspace) -> None:
    remote_over_loopback.catalog.fail("503", times=2)
    assert om.get_tracking_uri("ws-test") == "http://mlflow.ws-test-ns:8080"
    assert len(remote_over_loopback.catalog.lookups()) == 3


def test_persistent_5xx_gives_up_after_three_attempts(remote_over_loopback: FakeWorkspace) -> None:
    remote_over_loopback.catalog.fail("500")
    with pytest.raises(om.CatalogUnreachableError, match="HTTP 500"):
        om.get_tracking_uri("ws-test")
    assert len(remote_over_loopback.catalog.lookups()) == 3


def test_4xx_is_not_retried_over_http(remote_over_loopback: FakeWorkspace) -> None:
    remote_over_loopback.catalog.refuse(403)
    with pytest.raises(om.PassportRefusedError):
        om.get_tracking_uri("ws-test")
    assert len(remote_over_loopback.catalog.lookups()) == 1


def test_unreachable_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = FakeWorkspace().start("loopback")
    try:
        for name, value in ws.environment_variables("ce", tmp_path).items():
            monkeypatch.setenv(name, value)
    finally:
        ws.stop()  # the proxy is gone: connection refused
    monkeypatch.setattr(catalog, "TIMEOUT", (0.5, 0.3))
    om.clear_namespace_cache()
    with pytest.raises(om.CatalogUnreachableError, match="connection failed"):
        om.get_tracking_uri("ws-test")


def test_transient_5xx_is_retried_in_process_too(orq_studio) -> None:  # type: ignore[no-untyped-def]
    # The in-process transport keeps the retry policy of the adapter the library mounted.
    orq_studio.break_catalog("503", times=2)
    assert om.get_tracking_uri(orq_studio.workspace_id) == orq_studio.tracking_uri
    assert len(orq_studio.catalog.lookups()) == 3
