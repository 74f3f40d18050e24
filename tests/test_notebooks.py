"""The notebooks run top to bottom against the installed kg, and are committed small."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
NAMES = ["01-tour.ipynb", "02-conflicts.ipynb", "03-visualize.ipynb", "04-your-own-data.ipynb"]
MAX_BYTES = 300 * 1024
KERNEL = "kg-test-python"


def test_every_notebook_is_here():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebooks_are_small_and_hold_no_graph_page(name):
    path = NOTEBOOKS / name
    assert path.stat().st_size < MAX_BYTES
    book = json.loads(path.read_text(encoding="utf-8"))
    for cell in book["cells"]:
        if "no-saved-output" in cell.get("metadata", {}).get("tags", []):
            assert cell["outputs"] == [], "a tagged cell was saved with its output"
        for output in cell.get("outputs", []):
            assert output.get("output_type") != "error"
            assert "<iframe" not in json.dumps(output)


@pytest.fixture(scope="module")
def kernel_name(tmp_path_factory):
    """A kernel spec running this interpreter, so a fresh CI venv needs no registered kernel."""
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "kg tests", "language": "python"}), encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", str(root))
        patch.setenv("MPLBACKEND", "Agg")
        patch.delenv("PYTHONPATH", raising=False)  # the kernel must import the installed kg
        yield KERNEL


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_top_to_bottom(name, kernel_name, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    book = nbformat.read(NOTEBOOKS / name, as_version=4)
    book.cells.append(nbformat.v4.new_code_cell("import kg, sys; print('kg from', kg.__file__)"))
    client = nbclient.NotebookClient(book, timeout=180, kernel_name=kernel_name, resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    where = book.cells[-1].outputs[0]["text"]
    assert "site-packages" in where, where
    assert sorted(p.name for p in tmp_path.iterdir()) == [], "a notebook wrote into its working folder"
    if name == "03-visualize.ipynb":
        images = [o for c in book.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
        assert len(images) == 3  # timeline, supply mix, control tree
        frames = [o for c in book.cells for o in c.get("outputs", []) if "<iframe" in json.dumps(o)]
        assert len(frames) == 2  # the interactive graph and its focused view render in the kernel
