"""Which environment the code runs in: a local machine, or Orquestra (Studio or CE)."""

from __future__ import annotations

import os
from typing import Literal, NamedTuple

from . import variables


class Environment(NamedTuple):
    """Where the code runs, and why this package thinks so.

    ``kind`` is ``"local"`` or ``"remote"`` (Orquestra Studio or a Compute
    Engine task: the platform does not tell them apart, and neither do the
    utilities). ``cluster`` is the value of ``ORQ_CURRENT_CLUSTER`` remotely.
    """

    kind: Literal["local", "remote"]
    reason: str
    cluster: str | None = None

    @property
    def is_remote(self) -> bool:
        """``True`` in Orquestra Studio or a Compute Engine task."""
        return self.kind == "remote"


def detect_environment() -> Environment:
    """Tell whether this process runs remotely (Studio/CE) or locally, and why.

    The platform sets ``ORQ_CURRENT_CLUSTER`` in Studio and in CE tasks; a
    non-empty value means "remote", exactly as in ``orquestra.sdk.mlflow`` (an
    empty value counts as unset).
    """
    cluster = os.environ.get(variables.CURRENT_CLUSTER)
    if cluster:
        return Environment(
            "remote",
            f"{variables.CURRENT_CLUSTER} is set ({cluster!r}): running in Orquestra "
            "Studio or a Compute Engine task",
            cluster,
        )
    state = "is empty" if cluster == "" else "is not set"
    return Environment(
        "local",
        f"{variables.CURRENT_CLUSTER} {state}: running on a local machine, "
        "using a config written by `orq login`",
    )


def is_remote() -> bool:
    """``True`` in Orquestra Studio or a Compute Engine task (``ORQ_CURRENT_CLUSTER`` is non-empty)."""
    return bool(os.environ.get(variables.CURRENT_CLUSTER))
