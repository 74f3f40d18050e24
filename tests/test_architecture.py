"""The layout keeps its promises: stages import downwards only, no cycle, small modules, no CLI words in the library."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

PACKAGE = REPO / "kg"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
MAX_LINES = 500


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    """import-linter on the ``kg`` of ``root`` with the contracts of the project's setup.cfg."""
    if not LINT_IMPORTS.exists():
        pytest.skip("import-linter is not installed (pip install '.[test]')")
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", str(REPO / "setup.cfg")],
        cwd=root,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)},
    )


def test_import_contracts_are_kept():
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    "module, line",
    [
        ("kg/io/formats.py", "from kg.conflicts.engine import find_conflicts"),  # a reader reaching down to the rules
        ("kg/derive.py", "    from kg.render.viz import render_html"),  # function-local imports count too
        ("kg/newstage.py", "import kg.vocab"),  # a module in no layer
    ],
)
def test_the_contracts_catch_an_import_that_runs_back_up(tmp_path, module, line):
    shutil.copytree(PACKAGE, tmp_path / "kg", ignore=shutil.ignore_patterns("__pycache__"))
    target = tmp_path / module
    text = target.read_text("utf-8") if target.exists() else ""
    if line.startswith("    "):  # inside the first function of the module
        text = re.sub(r"(\ndef [^\n]*:\n)", lambda m: m.group(1) + line + "\n", text, count=1)
    else:
        text += "\n" + line + "\n"
    target.write_text(text, encoding="utf-8")
    result = lint_imports(tmp_path)
    assert result.returncode != 0 and "BROKEN" in result.stdout


def test_no_import_cycle_among_all_modules_function_local_imports_included():
    grimp = pytest.importorskip("grimp")
    import networkx as nx

    sys.path.insert(0, str(REPO))
    try:
        graph = grimp.build_graph("kg", cache_dir=None)
    finally:
        sys.path.remove(str(REPO))
    imports = nx.DiGraph()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            imports.add_edge(module, imported)
    assert imports.number_of_edges() > 100  # the graph was read
    cycles = list(nx.simple_cycles(imports))
    assert cycles == [], cycles[:3]


def test_no_module_is_over_about_500_lines():
    sizes = {str(path.relative_to(REPO)): len(path.read_text("utf-8").splitlines()) for path in PACKAGE.rglob("*.py")}
    assert max(sizes.values()) <= MAX_LINES, sorted(sizes.items(), key=lambda item: -item[1])[:3]


def _message_strings(path: Path):
    """String literals of a module that are not docstrings (messages, notes, templates)."""
    tree = ast.parse(path.read_text("utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node


def test_the_library_names_no_command_line_flag_in_its_messages():
    found = [
        f"{path.relative_to(REPO)}:{node.lineno}: {node.value[:60]!r}"
        for path in PACKAGE.rglob("*.py")
        if "cli" not in path.relative_to(PACKAGE).parts
        for node in _message_strings(path)
        if re.search(r"(?<![\w-])--[a-z]", node.value)
    ]
    assert found == []


def test_every_argument_a_message_names_has_its_flag_in_the_cli():
    from kg.cli import cli
    from kg.cli.group import flag_of

    flags = {opt for command in cli.commands.values() for param in command.params for opt in param.opts}
    named = {
        match
        for path in PACKAGE.rglob("*.py")
        for match in re.findall(r"\barg\(['\"](\w+)['\"]\)", path.read_text("utf-8"))
    }
    assert {"as_of", "min_status", "params", "allow_update"} <= named  # the scan sees the messages
    assert {name: flag_of(name) for name in named if flag_of(name) not in flags} == {}


def test_no_text_a_user_reads_cites_the_internal_design_document():
    """Users have the docs, not DESIGN: docstrings, messages, data comments, queries and notebooks stand on their own."""
    cited = []
    for folder in ("kg", "data", "queries", "ontology", "notebooks"):
        for path in sorted((REPO / folder).rglob("*")):
            if path.is_file() and path.suffix in (".py", ".csv", ".ttl", ".rq", ".ipynb", ".jsonld", ".html", ".md", ".txt"):
                text = path.read_text(encoding="utf-8", errors="replace")
                cited += [f"{path.relative_to(REPO)}:{n}" for n, line in enumerate(text.splitlines(), 1) if "DESIGN" in line]
    assert cited == []
