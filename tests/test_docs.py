"""``kg docs``: the ontology reference names every term, its definition and alignments, and works offline."""

from __future__ import annotations

import html as html_lib
import logging
import re
import subprocess
import sys

import pytest
from rdflib import RDFS, Graph, URIRef
from rdflib.namespace import SKOS

from kg.render.docs import ontology_terms
from kg.vocab import KG
from kg.resources import ontology_path

pytestmark = pytest.mark.slow  # pyLODE takes a few seconds


@pytest.fixture(scope="module")
def ontology():
    return Graph().parse(ontology_path(), format="turtle")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from click.testing import CliRunner

    from kg.cli import cli

    folder = tmp_path_factory.mktemp("docs") / "build" / "docs"
    result = CliRunner().invoke(cli, ["docs", "-o", str(folder)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return folder, html_lib.unescape((folder / "index.html").read_text(encoding="utf-8"))


def test_docs_writes_the_page_and_the_ontology(built):
    folder, _ = built
    assert sorted(p.name for p in folder.iterdir()) == ["index.html", "kg.ttl"]
    assert (folder / "kg.ttl").read_bytes() == ontology_path().read_bytes()


def test_every_kg_term_appears(built, ontology):
    _, page = built
    terms = ontology_terms(ontology)
    assert len(terms) > 80  # classes, properties and individuals
    missing = [str(term) for term in terms if f"<code>{term}</code>" not in page]
    assert missing == []


def test_every_definition_appears(built, ontology):
    _, page = built
    missing = [str(s) for s, d in ontology.subject_objects(SKOS.definition) if str(s).startswith(str(KG)) and str(d) not in page]
    assert missing == []


def test_every_alignment_appears_with_a_heading(built, ontology):
    _, page = built
    alignments = [
        (s, o)
        for p in (SKOS.exactMatch, SKOS.closeMatch, SKOS.relatedMatch, RDFS.subClassOf)
        for s, o in ontology.subject_objects(p)
        if str(s).startswith(str(KG)) and isinstance(o, URIRef) and not str(o).startswith(str(KG))
    ]
    assert len(alignments) > 20
    assert [str(o) for _, o in alignments if f'href="{o}"' not in page] == []
    assert "Exact Match" in page and "Close Match" in page and ">None<" not in page


def test_individuals_have_their_own_section(built):
    _, page = built
    section = page[page.index('id="namedindividuals"') :]
    for name in ("Rumored", "Reported", "Confirmed", "Denied", "Shareholding", "MarketRivalry", "Acrimonious"):
        assert f"<code>{KG[name]}</code>" in section
    assert 'href="#namedindividuals"' in page  # listed in the table of contents


def test_the_page_loads_nothing_from_the_network(built):
    _, page = built
    assert not re.search(r"<(script|img|iframe)\b[^>]*\bsrc=", page, re.IGNORECASE)
    assert not re.search(r"<link\b[^>]*rel=\"?stylesheet", page, re.IGNORECASE)
    assert "@import" not in page and not re.search(r"url\(\s*['\"]?(https?:)?//", page)
    assert "<style>" in page  # pyLODE's CSS is inlined


def test_building_docs_leaves_logging_alone(tmp_path):
    # pyLODE 3.3.4 configures the root logger at DEBUG when imported: a fresh process shows it.
    code = "import logging; from kg.render.docs import render_docs; render_docs(); r = logging.getLogger(); print(r.level, len(r.handlers))"
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(logging.WARNING), "0"]
    assert "DEBUG" not in done.stderr


def test_docs_refuses_a_file_where_the_folder_should_be(invoke, tmp_path):
    target = tmp_path / "docs"
    target.write_text("not a folder", encoding="utf-8")
    result = invoke("docs", "-o", target)
    assert result.exit_code == 2 and result.stderr.startswith("Error: ")
