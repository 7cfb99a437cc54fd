"""The user docs stand on their own: no private notes named, and every relative link leads somewhere.

A reader has the repository and the public Better Auth docs, nothing else: a "protocol §9.3", "seed 002",
``design.md`` or ``../shared/...`` points at files only the authors ever had.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[1]

PRIVATE_REFERENCES = {
    "design.md": re.compile(r"design\.md", re.IGNORECASE),
    "a section number (§)": re.compile("§"),
    "../shared": re.compile(r"\.\./shared"),
    "a seed number": re.compile(r"\bseed[ _-]?0\d\d\b", re.IGNORECASE),
    "the seeds": re.compile(r"\bthe seeds\b|\bseeds'", re.IGNORECASE),
}
# [text](target) and ![alt](target); the target ends at whitespace (a title may follow) or ")".
INLINE_LINK = re.compile(r"\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.MULTILINE)
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`[^`\n]*`")
EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)


def user_docs(root: Path = ROOT) -> list[Path]:
    """README.md, docs/**, the examples' READMEs (the changelog's old entries are history, left alone)."""
    found = [root / "README.md", *sorted((root / "docs").rglob("*.md"))]
    found += sorted((root / "examples").glob("*/README.md"))
    found += sorted(p for p in (root / "examples" / "clients").rglob("README.md") if "node_modules" not in p.parts)
    return [p for p in found if p.is_file()]


def private_references(text: str) -> list[str]:
    """What in ``text`` names something outside the repository, as ``"<kind>: <line>"``."""
    return [
        f"{kind}: {line.strip()}"
        for line in text.splitlines()
        for kind, pattern in PRIVATE_REFERENCES.items()
        if pattern.search(line)
    ]


def relative_links(text: str) -> list[str]:
    """The link targets of ``text`` that are paths in the repository (no URL, no bare anchor, no code)."""
    prose = CODE_SPAN.sub("", FENCE.sub("", text))
    targets = INLINE_LINK.findall(prose) + REFERENCE_LINK.findall(prose)
    return [t for t in targets if not EXTERNAL.match(t) and not t.startswith("#")]


def broken_links(doc: Path, root: Path = ROOT) -> list[str]:
    """The relative links of ``doc`` that lead to no file or directory of the repository."""
    broken = []
    for target in relative_links(doc.read_text(encoding="utf-8")):
        path = unquote(target.split("#", 1)[0].split("?", 1)[0])
        resolved = (root / path.lstrip("/")) if path.startswith("/") else (doc.parent / path)
        inside = resolved.resolve().is_relative_to(root.resolve())
        if not inside or not resolved.exists():
            broken.append(target)
    return broken


def doc_id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_the_doc_set_is_found() -> None:
    names = {doc_id(p) for p in user_docs()}
    assert {"README.md", "docs/rbac.md", "docs/architecture.md", "examples/todo/README.md"} <= names
    assert "CHANGELOG.md" not in names
    assert not any("node_modules" in name for name in names)


@pytest.mark.parametrize("doc", user_docs(), ids=doc_id)
def test_no_reference_to_private_notes(doc: Path) -> None:
    assert private_references(doc.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("doc", user_docs(), ids=doc_id)
def test_every_relative_link_resolves(doc: Path) -> None:
    assert broken_links(doc) == []


def test_docstrings_name_no_private_notes() -> None:
    """What users read in their editor (the library and the examples) follows the same rule."""
    sources = [*(ROOT / "src").rglob("*.py"), *(ROOT / "examples").rglob("*.py")]
    found = [
        f"{doc_id(p)}: {hit}"
        for p in sorted(sources)
        if "node_modules" not in p.parts
        for hit in private_references(p.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_checks_can_fail(tmp_path: Path) -> None:
    """Each rule catches what it is for, and leaves alone what it is not for."""
    bad = "Wire behaviour (protocol §9.3), as in design.md and ../shared/x; seed 002's app; the seeds' rule."
    assert len(private_references(bad)) == 5
    assert private_references("tests/examples/todo/test_seed_002_acceptance.py, a seeded random") == []
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "there.md").write_text("x")
    doc = tmp_path / "docs" / "a.md"
    doc.write_text(
        '[ok](there.md#part) [dir](../docs) [up](../docs/there.md "title") [web](https://x.org/a.md)\n'
        "[anchor](#top) [gone](missing.md) ![img](pic.png) `[code](nowhere.md)`\n"
        "```\n[fenced](nowhere.md)\n```\n[ref]: ../outside/../../escape.md\n"
    )
    assert broken_links(doc, root=tmp_path) == ["missing.md", "pic.png", "../outside/../../escape.md"]
