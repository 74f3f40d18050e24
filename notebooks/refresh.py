"""Re-run the notebooks top to bottom and save them with small outputs.

    .venv/bin/python notebooks/refresh.py            # every notebook here
    .venv/bin/python notebooks/refresh.py 03-visualize.ipynb

Run it with the Python that has kg installed (the kernel is that interpreter).
Each notebook runs in a fresh temporary folder, like a user's. Cells tagged
``no-saved-output`` (the interactive graph: megabytes of HTML) are run but saved
without their output, so the files stay small and read well on a code host.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
NO_SAVED_OUTPUT = "no-saved-output"
KERNEL_NAME = "kg-python"


def kernel_spec_dir(root: Path) -> Path:
    """A Jupyter data folder whose one kernel runs ``sys.executable`` (works in any fresh venv)."""
    spec = root / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "kg", "language": "python"}), encoding="utf-8")
    return root


def execute(path: Path, *, timeout: int = 300):
    """The notebook at ``path`` executed in a temporary folder; raises on the first failing cell."""
    import nbformat
    from nbclient import NotebookClient

    book = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as jupyter, tempfile.TemporaryDirectory() as work:
        previous = os.environ.get("JUPYTER_PATH")
        os.environ["JUPYTER_PATH"] = str(kernel_spec_dir(Path(jupyter)))
        try:
            NotebookClient(book, timeout=timeout, kernel_name=KERNEL_NAME, resources={"metadata": {"path": work}}).execute()
        finally:
            if previous is None:
                os.environ.pop("JUPYTER_PATH", None)
            else:
                os.environ["JUPYTER_PATH"] = previous
    return book


def strip_heavy_outputs(book) -> None:
    """Drop outputs of tagged cells and the kernel-specific metadata nbclient adds."""
    for cell in book.cells:
        if cell.cell_type == "code" and NO_SAVED_OUTPUT in cell.metadata.get("tags", []):
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}


def main(names: list[str]) -> None:
    import nbformat

    paths = [HERE / name for name in names] if names else sorted(HERE.glob("*.ipynb"))
    for path in paths:
        book = execute(path)
        strip_heavy_outputs(book)
        nbformat.write(book, path)
        print(f"{path.name}: {path.stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main(sys.argv[1:])
