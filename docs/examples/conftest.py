"""The docs' examples use the literal workspace ``my-workspace`` and config ``prod-d``."""

from __future__ import annotations

import pytest

from pytest_orq_mlflow import OrqSettings


# <orq_settings_override>
@pytest.fixture
def orq_settings() -> OrqSettings:
    """The simulated workspace of the docs' snippets."""
    return OrqSettings(workspace_id="my-workspace", namespace="my-workspace-ns")


# </orq_settings_override>
