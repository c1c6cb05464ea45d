"""The docs cannot drift from the code: every ``literalinclude`` points at a real
file and real markers, and every snippet marker in an example file is used."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
MARKER = re.compile(r"^\s*# <(/?)([A-Za-z0-9_.-]+)>\s*$", re.MULTILINE)
DIRECTIVE = re.compile(
    r"^(?P<indent>[ \t]*)\.\. literalinclude:: (?P<path>\S+)[ \t]*\n(?P<options>(?:(?P=indent)[ \t]+:.*\n?)*)",
    re.MULTILINE,
)
OPTION = re.compile(r":(?P<name>[a-z-]+):[ \t]*(?P<value>.*)")


def _includes() -> list[tuple[Path, Path, dict[str, str]]]:
    found = []
    for page in sorted(DOCS.rglob("*.rst")):
        if "_build" in page.parts:
            continue
        for match in DIRECTIVE.finditer(page.read_text(encoding="utf-8")):
            options = {
                m["name"]: m["value"].strip()
                for m in map(OPTION.search, match["options"].splitlines())
                if m
            }
            found.append((page, (page.parent / match["path"]).resolve(), options))
    return found


INCLUDES = _includes()


def test_the_docs_include_snippets_at_all() -> None:
    assert len(INCLUDES) >= 5, INCLUDES


@pytest.mark.parametrize(
    ("page", "target", "options"),
    INCLUDES,
    ids=[f"{p.relative_to(DOCS)}->{t.name}:{o.get('start-after', '')}" for p, t, o in INCLUDES],
)
def test_every_literalinclude_points_at_a_file_and_its_markers(
    page: Path, target: Path, options: dict[str, str]
) -> None:
    assert target.is_file(), f"{page}: literalinclude of a missing file {target}"
    text = target.read_text(encoding="utf-8")
    start, end = options.get("start-after"), options.get("end-before")
    assert start and end, f"{page}: include {target.name} with :start-after: and :end-before:"
    assert text.count(start) == 1, f"{page}: {start!r} must occur once in {target}"
    assert text.count(end) >= 1, f"{page}: {end!r} is not in {target}"
    assert text.index(end, text.index(start)) > text.index(start), (
        f"{page}: {end!r} does not follow {start!r} in {target}"
    )
    assert re.fullmatch(r"# <[A-Za-z0-9_.-]+>", start), f"{page}: start marker {start!r}"
    assert end == start.replace("# <", "# </"), f"{page}: {end!r} does not close {start!r}"


def _example_files() -> list[Path]:
    files = sorted((DOCS / "examples").glob("*.py"))
    return [f for f in files if MARKER.search(f.read_text(encoding="utf-8"))]


@pytest.mark.parametrize("example", _example_files(), ids=lambda p: p.name)
def test_every_marker_in_an_example_is_used_by_a_page(example: Path) -> None:
    names = {m[2] for m in MARKER.finditer(example.read_text(encoding="utf-8"))}
    used = {
        options.get("start-after", "")[3:-1]
        for _, target, options in INCLUDES
        if target == example.resolve()
    }
    unused = sorted(names - used)
    assert not unused, f"{example.name}: markers no page includes: {unused}"


@pytest.mark.parametrize("example", _example_files(), ids=lambda p: p.name)
def test_markers_are_balanced(example: Path) -> None:
    opened: list[str] = []
    for closing, name in MARKER.findall(example.read_text(encoding="utf-8")):
        if closing:
            assert opened and opened[-1] == name, f"{example.name}: </{name}> closes nothing"
            opened.pop()
        else:
            opened.append(name)
    assert not opened, f"{example.name}: unclosed markers {opened}"


def test_the_checker_catches_a_missing_marker(tmp_path: Path) -> None:
    page = tmp_path / "page.rst"
    page.write_text(
        ".. literalinclude:: ex.py\n   :start-after: # <nope>\n   :end-before: # </nope>\n"
    )
    (tmp_path / "ex.py").write_text("# <yes>\nx = 1\n# </yes>\n")
    match = DIRECTIVE.search(page.read_text())
    assert match is not None
    options = dict(m.groups() for m in map(OPTION.search, match["options"].splitlines()) if m)
    assert options["start-after"] == "# <nope>"
    assert "# <nope>" not in (tmp_path / "ex.py").read_text()
