"""The documentation site: it builds offline with no warning, its generated pages are current, and
nothing kg offers (a command, a rule, a public name) is missing from it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

import kg
from kg.cli.reference import GENERATED, command_names, generated_block
from kg.conflicts.pack import load_rules

DOCS = REPO / "docs"
PAGES = sorted(DOCS.glob("*.md"))

#: A sitecustomize that refuses every connection but to this machine: the build must not need one.
NO_NETWORK = """
import socket
_connect = socket.socket.connect
def _local_only(self, address):
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and host not in ("127.0.0.1", "::1", "localhost") and not host.startswith("/"):
        raise OSError("the docs build tried to reach " + repr(address))
    return _connect(self, address)
socket.socket.connect = _local_only
socket.getaddrinfo = lambda host, *a, **k: (_ for _ in ()).throw(OSError("the docs build tried to resolve " + repr(host)))
"""

#: What would make a browser fetch something from another host when a page opens (links are fine).
REMOTE_LOAD = re.compile(
    r"""<(?:script|img|iframe|audio|video|source|embed)\b[^>]*\bsrc\s*=\s*["']?(?:https?:)?//"""
    r"""|<link\b(?=[^>]*\brel\s*=\s*["']?(?:stylesheet|preload|modulepreload|import|icon))[^>]*\bhref\s*=\s*["']?(?:https?:)?//"""
    r"""|@import\s+(?:url\()?["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//""",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """``mkdocs build --strict`` as ``make docs`` runs it, with the network cut off."""
    out = tmp_path_factory.mktemp("site")
    guard = tmp_path_factory.mktemp("guard")
    (guard / "sitecustomize.py").write_text(NO_NETWORK, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(guard), "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "mkdocs"), "build", "--strict", "--site-dir", str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith(("WARNING", "ERROR"))]
    assert warnings == []
    return out


@pytest.mark.parametrize("page,name", [(page, name) for page, blocks in GENERATED.items() for name in blocks])
def test_generated_parts_are_current(page, name):
    text = (REPO / page).read_text(encoding="utf-8")
    assert generated_block(text, name) == GENERATED[page][name](REPO).strip(), f"run `make reference` to regenerate {page}"


def test_every_command_has_its_section_in_the_command_reference():
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## kg (.+)$", text, re.M)
    assert headings == command_names()
    assert "Usage: kg kg" not in text and "Usage: kg conflicts [OPTIONS]" in text


def test_every_rule_has_its_entry_and_worked_example_in_the_catalogue(site):
    text = (DOCS / "rules.md").read_text(encoding="utf-8")
    html = (site / "rules.html").read_text(encoding="utf-8")
    for rule in load_rules():
        assert f'id="{rule.id}"' in html, rule.id
        assert f"$ kg conflicts --data docs/examples/rules/{rule.id}/ --rule {rule.id}" in text, rule.id


def test_every_public_name_has_its_reference_with_a_signature(site):
    html = (site / "api.html").read_text(encoding="utf-8")
    headings = set(re.findall(r'<h3 id="[\w.]+" class="doc doc-heading">\s*(?:<code>)?\s*(kg\.\w+)', html))
    assert set(f"kg.{name}" for name in kg.__all__) <= headings, sorted(set(f"kg.{name}" for name in kg.__all__) - headings)
    # a function's reference shows its signature: find_conflicts's keyword arguments
    section = html[html.index("kg.find_conflicts") :][:6000]
    assert "doc-signature" in section and "as_of" in section and "min_status" in section


def test_the_site_has_every_page_and_the_ontology_reference(site):
    for page in PAGES:
        assert (site / page.with_suffix(".html").name).is_file(), page.name
    reference = (site / "ontology-reference.html").read_text(encoding="utf-8")
    assert "ComputeContract" in reference and "BoardSeat" in reference
    assert 'href="ontology-reference.html"' in (site / "ontology.html").read_text(encoding="utf-8")


def test_no_page_of_the_site_loads_anything_from_the_network(site):
    pages = sorted(site.rglob("*.html")) + sorted(site.rglob("*.css"))
    assert len(pages) > len(PAGES)
    for page in pages:
        remote = REMOTE_LOAD.search(page.read_text(encoding="utf-8", errors="replace"))
        assert remote is None, f"{page.relative_to(site)}: {remote.group(0)}"


def test_nothing_cites_a_document_users_do_not_have(site):
    """The design notes kg's developers keep are not in the repository; no page, docstring or bundled file may send a reader there."""
    texts = {page.name: page.read_text(encoding="utf-8") for page in [REPO / "README.md", *PAGES]}
    texts |= {str(page.relative_to(site)): page.read_text(encoding="utf-8") for page in site.glob("*.html")}
    for folder in ("data", "queries", "ontology", "notebooks"):
        texts |= {str(f.relative_to(REPO)): f.read_text(encoding="utf-8") for f in (REPO / folder).rglob("*") if f.suffix in {".csv", ".rq", ".ttl", ".ipynb", ".md"}}
    for name, text in texts.items():
        assert not re.search(r"\bDESIGN\b|\.\./shared", text), name


def test_relative_links_of_the_pages_name_files_of_the_repository():
    """A link from a page to a file outside docs/ (a fixture, a rule file) must exist in a clone."""
    from markdown_it import MarkdownIt

    for page in [REPO / "README.md", *PAGES]:
        tokens = MarkdownIt("commonmark").enable("table").parse(page.read_text(encoding="utf-8"))
        hrefs = [child.attrs["href"] for token in tokens for child in token.children or () if child.type == "link_open"]
        for target in [href.split("#")[0] for href in hrefs if not re.match(r"https?:|#|mailto:", href)]:
            if target == "ontology-reference.html":  # written into the site at build time (docs/hooks.py)
                continue
            assert (page.parent / target).exists(), f"{page.name}: {target}"


def test_the_site_opens_from_the_file_system_with_no_request_to_another_host(site, browser):
    """As a reader opens it after `make docs`: from file://, in Chromium; every request stays on the disk."""
    page = browser.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    for name in ("index.html", "tutorial.html", "rules.html", "api.html", "ontology-reference.html"):
        page.goto((site / name).as_uri())
        page.wait_for_load_state("load")
        page.wait_for_timeout(300)  # the theme's scripts run after load
        assert page.title(), name
    page.close()
    assert requests and all(url.startswith(("file:", "data:", "blob:")) for url in requests), [u for u in requests if not u.startswith("file:")]
