"""Sphinx configuration of the orquestra-mlflow documentation."""

from __future__ import annotations

import orquestra_mlflow

project = "orquestra-mlflow"
author = "orquestra-mlflow developers"
copyright = "2026, orquestra-mlflow developers"
release = orquestra_mlflow.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
]

html_theme = "furo"
html_title = f"orquestra-mlflow {release}"
html_static_path: list[str] = []
exclude_patterns = ["_build", "examples", "Thumbs.db", ".DS_Store"]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}

nitpicky = True
nitpick_ignore = [
    ("py:class", "pathlib.Path"),
    ("py:class", "Path"),
    ("py:class", "os.PathLike"),
    ("py:class", "Exception"),
    ("py:class", "ValueError"),
    ("py:class", "OSError"),
    ("py:class", "FileNotFoundError"),
    ("py:class", "ConnectionError"),
    ("py:class", "PermissionError"),
    ("py:class", "LookupError"),
    ("py:class", "UserWarning"),
    ("py:class", "NamedTuple"),
    ("py:class", "typing.NamedTuple"),
    ("py:class", "contextlib.ContextDecorator"),
    ("py:class", "ContextDecorator"),
]
nitpick_ignore_regex = [(r"py:.*", r"(mlflow|requests|responses|pyfakefs|pytest|_pytest)\..*")]
