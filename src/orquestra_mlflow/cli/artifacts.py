"""``orq-mlflow artifacts-dir``: print (and create) the directory for temporary artifact files."""

from __future__ import annotations

import argparse
from typing import Any

from . import base

_EXAMPLES = """\
  orq-mlflow artifacts-dir
  python train.py --out "$(orq-mlflow artifacts-dir)/model.pkl\""""


def register(subparsers: Any) -> None:
    """Add the ``artifacts-dir`` command."""
    parser = base.add_command(
        subparsers,
        "artifacts-dir",
        summary="print the directory for temporary MLflow artifact files",
        description="Print the directory that orquestra_mlflow.get_temp_artifacts_dir() "
        "returns, creating it if missing: ORQ_MLFLOW_ARTIFACTS_DIR when set (Studio and CE set "
        "it), else ~/.orquestra/mlflow/artifacts.",
        examples=_EXAMPLES,
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the artifacts directory."""
    from ..artifacts import get_temp_artifacts_dir

    print(get_temp_artifacts_dir())
    return base.OK
