"""Helpers for the library's tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_orq_mlflow import OrqEnvironment


def write_config(env: OrqEnvironment, document: Any) -> Path:
    """Replace the simulated local config file with ``document`` (JSON, or a raw string)."""
    text = document if isinstance(document, str) else json.dumps(document)
    env.config_path.write_text(text, encoding="utf-8")
    return env.config_path


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the catalog's retry backoff instantaneous."""
    import urllib3.util.retry

    monkeypatch.setattr(urllib3.util.retry.Retry, "sleep", lambda self, response=None: None)
