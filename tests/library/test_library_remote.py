"""The Studio/CE rules: platform variables, the passport, the namespace look-up."""

from __future__ import annotations

import warnings

import pytest

import orquestra_mlflow as om
from pytest_orq_mlflow import OrqEnvironment

pytestmark = pytest.mark.orq_env("studio", "ce")


def test_uri_from_the_platform(orq_env: OrqEnvironment) -> None:
    assert om.get_tracking_uri(orq_env.workspace_id) == "http://mlflow.ws-test-ns:8080"
    assert om.get_tracking_token() == orq_env.token


def test_config_name_is_ignored_with_a_warning_naming_it(orq_env: OrqEnvironment) -> None:
    with pytest.warns(UserWarning, match="'prod-d'.*only when executing locally"):
        assert om.get_tracking_uri(orq_env.workspace_id, "prod-d") == orq_env.tracking_uri
    with pytest.warns(UserWarning, match="'prod-d'"):
        assert om.get_tracking_token("prod-d") == orq_env.token


def test_no_warning_without_config_name(orq_env: OrqEnvironment) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        om.get_tracking_uri(orq_env.workspace_id)


@pytest.mark.parametrize(
    "name", ["ORQ_MLFLOW_CR_NAME", "ORQ_MLFLOW_PORT", "ORQUESTRA_PASSPORT_FILE"]
)
def test_missing_variable_is_an_oserror_naming_it(orq_env: OrqEnvironment, name: str) -> None:
    orq_env.remove_variable(name)
    with pytest.raises(om.MissingEnvironmentVariableError, match=name) as info:
        om.get_tracking_uri(orq_env.workspace_id)
    assert isinstance(info.value, OSError) and info.value.variable == name
    assert orq_env.catalog.requests == []


def test_empty_variable_is_an_error_too(orq_env: OrqEnvironment) -> None:
    orq_env.set_variable("ORQ_MLFLOW_PORT", "")
    with pytest.raises(om.MissingEnvironmentVariableError, match="ORQ_MLFLOW_PORT is empty"):
        om.get_tracking_uri(orq_env.workspace_id)


def test_passport_missing_or_empty(orq_env: OrqEnvironment) -> None:
    orq_env.passport_path.write_text("  \n")
    with pytest.raises(om.PassportError, match="empty"):
        om.get_tracking_token()
    orq_env.passport_path.unlink()
    with pytest.raises(om.PassportError, match="does not exist") as info:
        om.get_tracking_token()
    assert isinstance(info.value, OSError)


def test_passport_is_reread_on_every_call_and_newline_stripped(orq_env: OrqEnvironment) -> None:
    assert orq_env.passport_path.read_text().endswith("\n")
    first = om.get_tracking_token()
    assert first == orq_env.token and not first.endswith("\n")
    rotated = orq_env.rotate_token()
    assert om.get_tracking_token() == rotated != first


def test_namespace_is_cached_per_workspace(orq_env: OrqEnvironment) -> None:
    for _ in range(3):
        om.get_tracking_uri(orq_env.workspace_id)
    assert len(orq_env.catalog.lookups()) == 1
    om.clear_namespace_cache()
    om.get_tracking_uri(orq_env.workspace_id)
    assert len(orq_env.catalog.lookups()) == 2


def test_other_workspace_is_looked_up_separately(orq_env: OrqEnvironment) -> None:
    orq_env.catalog.namespaces["ws-2"] = "ns-2"
    assert om.get_tracking_uri("ws-2") == "http://mlflow.ns-2:8080"
    om.get_tracking_uri(orq_env.workspace_id)
    assert len(orq_env.catalog.lookups("ws-2")) == 1
    assert len(orq_env.catalog.lookups(orq_env.workspace_id)) == 1


def test_failures_are_never_cached(orq_env: OrqEnvironment) -> None:
    orq_env.refuse_catalog(403)
    with pytest.raises(om.PassportRefusedError):
        om.get_tracking_uri(orq_env.workspace_id)
    orq_env.catalog.heal()  # no cache clearing: the failure must not have been cached
    assert om.get_tracking_uri(orq_env.workspace_id) == orq_env.tracking_uri


def test_passport_is_sent_as_bearer_token(orq_env: OrqEnvironment) -> None:
    om.get_tracking_uri(orq_env.workspace_id)
    (request,) = orq_env.catalog.lookups()
    assert request.bearer_token == orq_env.token
    assert request.path == "/api/workspaces/zri:v1::0:system:resource_group:ws-test"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, om.PassportRefusedError),
        (403, om.PassportRefusedError),
        (404, om.WorkspaceNotFoundError),
        (418, om.MalformedCatalogResponseError),
    ],
)
def test_4xx_is_not_retried(orq_env: OrqEnvironment, status: int, error: type[Exception]) -> None:
    if status == 404:
        orq_env.catalog.namespaces.clear()
    else:
        orq_env.refuse_catalog(status)
    with pytest.raises(error):
        om.get_tracking_uri(orq_env.workspace_id)
    assert len(orq_env.catalog.lookups()) == 1


def test_unknown_workspace_is_404(orq_env: OrqEnvironment) -> None:
    with pytest.raises(om.WorkspaceNotFoundError, match="'nope'") as info:
        om.get_tracking_uri("nope")
    assert isinstance(info.value, LookupError)


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("500", om.CatalogUnreachableError),
        ("timeout", om.CatalogUnreachableError),
        ("garbage", om.MalformedCatalogResponseError),
        ("no-namespace", om.MalformedCatalogResponseError),
    ],
)
def test_catalog_failures(orq_env: OrqEnvironment, mode: str, error: type[Exception]) -> None:
    orq_env.break_catalog(mode)  # type: ignore[arg-type]
    with pytest.raises(error) as info:
        om.get_tracking_uri(orq_env.workspace_id)
    assert orq_env.token not in str(info.value)


def test_twenty_threads_one_lookup(orq_env: OrqEnvironment) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(20) as pool:
        uris = set(pool.map(lambda _: om.get_tracking_uri(orq_env.workspace_id), range(20)))
    assert uris == {orq_env.tracking_uri}
    assert len(orq_env.catalog.lookups()) == 1
