"""The public API: what ``kg/__init__.py`` lists, loaded lazily, and the only names notebooks and the README use."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys

import pytest
from conftest import REPO

import kg

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def public_api_violations(source: str) -> list[str]:
    """Every use in ``source`` of a kg name that is private or not in ``kg.__all__``."""
    code = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())  # IPython magics
    found = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            found += [f"import {alias.name}" for alias in node.names if alias.name.startswith("kg.")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "kg":
            if node.module != "kg":
                found.append(f"from {node.module} import ...")
            found += [f"from kg import {alias.name}" for alias in node.names if alias.name not in kg.__all__]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "kg":
            if node.attr not in kg.__all__ and node.attr not in ("__version__", "__file__"):
                found.append(f"kg.{node.attr}")
    return found


def test_every_public_name_resolves_to_what_its_module_defines():
    for name in kg.__all__:
        value = getattr(kg, name)
        assert value is not None, name
        assert not name.startswith("_")
    assert set(dir(kg)) >= set(kg.__all__)
    with pytest.raises(AttributeError):
        kg.not_a_name  # noqa: B018


def test_the_checker_catches_private_and_unlisted_names():
    assert public_api_violations("from kg.conflicts.engine import find_conflicts")
    assert public_api_violations("import kg.render.viz")
    assert public_api_violations("from kg import _API")
    assert public_api_violations("import kg\nkg.vocab.KG")
    assert public_api_violations("from kg import find_conflicts, load_graph\nimport kg\nkg.show") == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_use_only_the_public_api(path):
    cells = json.loads(path.read_text("utf-8"))["cells"]
    code = ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]
    source = "\n".join(text for text in code if not text.lstrip().startswith("%%"))  # a cell magic's body is not Python
    assert public_api_violations(source) == []
    assert "kg." not in "".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown").replace("kg.ttl", "")


def test_the_docs_python_uses_only_the_public_api():
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    blocks = [(page.name, block) for page in pages for block in re.findall(r"```python\n(.*?)```", page.read_text("utf-8"), re.S)]
    assert {"python.md", "tutorial.md"} <= {name for name, _ in blocks}, "the docs show the library"
    for name, block in blocks:
        assert public_api_violations(block) == [], name


def test_import_kg_and_kg_help_load_no_library_dependency():
    """``import kg`` is instant, and ``kg --help`` loads click, not rdflib or the stages."""
    code = (
        "import sys, kg; before = set(sys.modules)\n"
        "from kg.cli import cli\n"
        "try:\n    cli(['--help'], prog_name='kg')\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('rdflib', 'pyoxigraph', 'networkx', 'pyvis', 'matplotlib'))\n"
        "stages = sorted(m for m in sys.modules if m.startswith('kg.') and not m.startswith(('kg.cli', 'kg.errors')))\n"
        "print(heavy, stages, file=sys.stderr)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stderr.strip() == "[] []"
