"""Reading the current token: the source per environment, and the modification-time cache."""

from __future__ import annotations

import os
import time

import pytest

from orquestra_mlflow import token_source as ts
from orquestra_mlflow.errors import ConfigError


@pytest.fixture(autouse=True)
def _empty_cache():  # type: ignore[no-untyped-def]
    ts.clear_token_cache()
    yield
    ts.clear_token_cache()


def _age(path: os.PathLike[str] | str, seconds: float = 60) -> None:
    """Make ``path`` look modified ``seconds`` ago (outside the racy window)."""
    past = time.time() - seconds
    os.utime(path, (past, past))


def _token_file(orq_env) -> os.PathLike[str]:  # type: ignore[no-untyped-def]
    return orq_env.passport_path if orq_env.remote else orq_env.config_path


def test_the_source_is_the_passport_remotely_and_the_named_config_locally(orq_env):
    source = ts.token_source(orq_env.config_name)
    if orq_env.remote:
        assert source == ts.TokenSource("passport")
        assert str(orq_env.passport_path) in source.description
    else:
        assert source == ts.TokenSource("config", "prod-d")
        assert source.description == "the config 'prod-d'"
    assert ts.current_token(orq_env.config_name) == orq_env.token


def test_an_unchanged_old_file_is_read_once(orq_env, monkeypatch):
    _age(_token_file(orq_env))
    reads = []
    target = (
        "orquestra_mlflow.passport.read_passport_token"
        if orq_env.remote
        else ("orquestra_mlflow.config.read_config")
    )
    module, name = target.rsplit(".", 1)
    real = getattr(__import__(module, fromlist=[name]), name)
    monkeypatch.setattr(target, lambda *a: reads.append(a) or real(*a))

    assert {ts.current_token(orq_env.config_name) for _ in range(50)} == {orq_env.token}
    assert len(reads) == 1
    ts.current_token(orq_env.config_name, cached=False)
    assert len(reads) == 2


def test_a_rewritten_file_is_read_again(orq_env):
    path = _token_file(orq_env)
    _age(path, 120)
    assert ts.current_token(orq_env.config_name) == orq_env.token
    new = orq_env.rotate_token()
    _age(path, 60)  # even with an old-looking timestamp, the signature changed
    assert ts.current_token(orq_env.config_name) == new


def test_a_freshly_written_file_is_not_trusted_to_the_cache(orq_env, monkeypatch):
    path = _token_file(orq_env)
    assert ts.current_token(orq_env.config_name) == orq_env.token  # written just now: racy
    stat = os.stat(path)
    if orq_env.remote:
        path.write_text("x" * len(orq_env.token))  # same size ...
    else:
        text = path.read_text()
        path.write_text(text.replace(orq_env.token, "x" * len(orq_env.token)))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # ... and the same mtime
    assert ts.current_token(orq_env.config_name) == "x" * len(orq_env.token)


@pytest.mark.orq_env("local")
def test_locally_the_config_is_named_by_argument_variable_or_orq_current_config(orq_env):
    assert ts.token_source("other") == ts.TokenSource("config", "other")
    os.environ["ORQ_MLFLOW_CONFIG_NAME"] = "from-variable"
    os.environ["ORQ_CURRENT_CONFIG"] = "prod-d"
    assert ts.token_source() == ts.TokenSource("config", "from-variable")
    del os.environ["ORQ_MLFLOW_CONFIG_NAME"]
    assert ts.token_source() == ts.TokenSource("config", "auto")
    assert ts.current_token() == orq_env.token
    del os.environ["ORQ_CURRENT_CONFIG"]
    with pytest.raises(ConfigError, match="ORQ_MLFLOW_CONFIG_NAME"):
        ts.token_source()


@pytest.mark.orq_env("studio", "ce")
def test_remotely_config_names_do_not_matter(orq_env):
    os.environ["ORQ_MLFLOW_CONFIG_NAME"] = "prod-d"
    assert ts.token_source("prod-d") == ts.TokenSource("passport")


def test_expiry_problem_only_for_a_jwt_whose_exp_has_passed(orq_env):
    source = ts.token_source(orq_env.config_name)
    assert ts.expiry_problem(orq_env.token, source) is None
    assert ts.expiry_problem("not-a-jwt", source) is None
    expired = orq_env.expire_token()
    problem = ts.expiry_problem(expired, source)
    assert problem is not None and "expired at" in problem and expired not in problem
    assert ("passport" if orq_env.remote else "orq login") in problem
