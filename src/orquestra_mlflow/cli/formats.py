"""Rendering environment variables for shells and files, each value quoted safely.

=========== ======================================== ==========================
format      line                                     quoting
=========== ======================================== ==========================
sh          ``export NAME='value'``                  POSIX single quotes; ``'`` becomes ``'\\''``
fish        ``set -gx NAME 'value'``                 ``\\`` and ``'`` escaped with ``\\``
powershell  ``$Env:NAME = 'value'``                  ``'`` (and its typographic variants) doubled
dotenv      ``NAME='value'``                         ``\\`` and ``'`` escaped with ``\\`` (python-dotenv)
json        one object ``{"NAME": "value", ...}``    JSON
=========== ======================================== ==========================

python-dotenv expands ``${VAR}`` even inside single quotes when it interpolates
(its default); the values printed here (URIs and JWTs) never contain ``${``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping

FORMATS = ("sh", "fish", "powershell", "dotenv", "json")

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# PowerShell also ends a single-quoted string at these typographic quotes.
_PS_QUOTES = re.compile("(['\u2018\u2019\u201a\u201b])")


def quote_sh(value: str) -> str:
    """``value`` as one POSIX shell word (bash, dash, zsh, ksh)."""
    return "'" + value.replace("'", "'\\''") + "'"


def quote_fish(value: str) -> str:
    """``value`` as one fish word."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def quote_powershell(value: str) -> str:
    """``value`` as a PowerShell verbatim (single-quoted) string."""
    return "'" + _PS_QUOTES.sub(r"\1\1", value) + "'"


def quote_dotenv(value: str) -> str:
    """``value`` as a single-quoted dotenv value (python-dotenv, docker compose)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


_LINES: dict[str, Callable[[str, str], str]] = {
    "sh": lambda name, value: f"export {name}={quote_sh(value)}",
    "fish": lambda name, value: f"set -gx {name} {quote_fish(value)}",
    "powershell": lambda name, value: f"$Env:{name} = {quote_powershell(value)}",
    "dotenv": lambda name, value: f"{name}={quote_dotenv(value)}",
}


def render(variables: Mapping[str, str], fmt: str) -> str:
    """``variables`` as text in the format ``fmt`` (one of :data:`FORMATS`), ending with a newline."""
    for name in variables:
        if not _NAME.fullmatch(name):
            raise ValueError(f"not an environment variable name: {name!r}")
    if fmt == "json":
        return json.dumps(dict(variables), indent=2) + "\n"
    try:
        line = _LINES[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}") from None
    return "".join(line(name, value) + "\n" for name, value in variables.items())
