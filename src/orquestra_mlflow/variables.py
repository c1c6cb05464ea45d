"""Names of the environment variables of the Orquestra platform contract."""

from __future__ import annotations

import os

from .errors import MissingEnvironmentVariableError

CURRENT_CLUSTER = "ORQ_CURRENT_CLUSTER"
CURRENT_WORKSPACE = "ORQ_CURRENT_WORKSPACE"
CURRENT_PROJECT = "ORQ_CURRENT_PROJECT"
CURRENT_USER = "ORQ_CURRENT_USER"
PASSPORT_FILE = "ORQUESTRA_PASSPORT_FILE"
MLFLOW_CR_NAME = "ORQ_MLFLOW_CR_NAME"
MLFLOW_PORT = "ORQ_MLFLOW_PORT"
MLFLOW_ARTIFACTS_DIR = "ORQ_MLFLOW_ARTIFACTS_DIR"
CONFIG_PATH = "ORQ_CONFIG_PATH"
CURRENT_CONFIG = "ORQ_CURRENT_CONFIG"

TRACKING_URI = "MLFLOW_TRACKING_URI"
TRACKING_TOKEN = "MLFLOW_TRACKING_TOKEN"

#: Every variable Studio and Compute Engine set for a task.
PLATFORM_VARIABLES = (
    CURRENT_CLUSTER,
    CURRENT_WORKSPACE,
    CURRENT_PROJECT,
    CURRENT_USER,
    PASSPORT_FILE,
    MLFLOW_CR_NAME,
    MLFLOW_PORT,
    MLFLOW_ARTIFACTS_DIR,
)


def require(name: str) -> str:
    """The value of the platform variable ``name``; a clear error when it is unset or empty."""
    value = os.environ.get(name)
    if not value:
        state = "is empty" if name in os.environ else "is not set"
        raise MissingEnvironmentVariableError(
            f"The environment variable {name} {state}. Orquestra Studio and Compute Engine "
            f"set it for every session and task; if you run on Orquestra, contact your "
            f"cluster admin. If you run on your own machine, unset {CURRENT_CLUSTER} so the "
            f"local config (orq login) is used instead.",
            variable=name,
        )
    return value
