"""Messages, docstrings, comments and docs cite files that ship with the project, and those exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = [
    path
    for folder in ("correlate", "sql", "docs", "tests", "bench", "fixtures")
    for path in (ROOT / folder).rglob("*")
    if path.suffix in (".py", ".sql", ".md", ".html", ".j2") and "sample-report" not in path.parts
] + [ROOT / "README.md", ROOT / "pyproject.toml"]
# files that live outside the repository, as they were once cited
OUTSIDE = re.compile(
    "|".join(
        re.escape(text) for text in ("formats.md " + "§", "CONTRACT" + ".md", "/work/" + "shared", "../" + "shared")
    )
)
DOC_PATH = re.compile(r"\bdocs/([a-z0-9_-]+\.md)")
DOC_LINK = re.compile(r"\]\(([a-z0-9_-]+\.md)(?:#([a-z0-9-]+))?\)")


def anchors(path: Path) -> set[str]:
    """GitHub's anchors of a Markdown file's headings."""
    headings = re.findall(r"^#+ (.+)$", path.read_text(), flags=re.MULTILINE)
    return {re.sub(r"[^a-z0-9 _-]", "", heading.lower()).replace(" ", "-") for heading in headings}


def test_nothing_cites_files_outside_the_project():
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in SHIPPED
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert found == []


def test_cited_docs_exist():
    missing = {
        f"{path.relative_to(ROOT)}: docs/{name}"
        for path in SHIPPED
        for name in DOC_PATH.findall(path.read_text(errors="replace"))
        if not (ROOT / "docs" / name).exists()
    }
    assert missing == set()


def test_links_between_docs_reach_their_sections():
    broken = set()
    for path in (ROOT / "docs").glob("*.md"):
        for name, anchor in DOC_LINK.findall(path.read_text()):
            target = ROOT / "docs" / name
            if not target.exists() or (anchor and anchor not in anchors(target)):
                broken.add(f"{path.name}: {name}#{anchor}")
    assert broken == set()
