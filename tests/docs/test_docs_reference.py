"""The reference pages cover everything users can reach: every fixture, the
marker and option, every CLI command, every public name of the library."""

from __future__ import annotations

import re
from pathlib import Path

import orquestra_mlflow

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "pytest_orq_mlflow" / "plugin.py"
DOCS = ROOT / "docs"


def _defined_fixtures() -> list[str]:
    source = PLUGIN.read_text(encoding="utf-8")
    return re.findall(r"@pytest\.fixture(?:\([^)]*\))?\s*\ndef (orq_\w+)\(", source)


def test_every_fixture_has_a_reference_entry() -> None:
    fixtures = _defined_fixtures()
    assert {"orq_env", "orq_local", "orq_studio", "orq_ce", "orq_mlflow"} <= set(fixtures)
    page = (DOCS / "reference" / "fixtures.rst").read_text(encoding="utf-8")
    entries = set(re.findall(r"^``(orq_\w+)``$", page, re.MULTILINE))
    assert sorted(set(fixtures) - entries) == [], "fixtures missing from reference/fixtures.rst"
    assert sorted(entries - set(fixtures)) == [], "reference/fixtures.rst documents no such fixture"


def test_the_marker_and_option_are_documented() -> None:
    page = (DOCS / "reference" / "fixtures.rst").read_text(encoding="utf-8")
    assert "@pytest.mark.orq_env(*kinds)" in page
    assert "--orq-env=KINDS" in page
    assert 'addoption(\n        "--orq-env"' in PLUGIN.read_text(encoding="utf-8")


def test_every_cli_command_is_documented() -> None:
    from orquestra_mlflow.cli import build_parser

    parser = build_parser()
    commands = next(
        action.choices for action in parser._actions if getattr(action, "choices", None)
    )
    page = (DOCS / "reference" / "cli.rst").read_text(encoding="utf-8")
    missing = [name for name in commands if f"orq-mlflow {name}" not in page]
    assert missing == []


def test_every_public_name_of_the_library_is_in_the_api_reference() -> None:
    page = (DOCS / "reference" / "api.rst").read_text(encoding="utf-8")
    missing = [
        name
        for name in orquestra_mlflow.__all__
        if not name.startswith("_") and f"orquestra_mlflow.{name}" not in page
    ]
    assert missing == []
