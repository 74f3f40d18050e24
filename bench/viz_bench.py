"""How long ``kg viz`` pages take to become usable in Chromium, by graph size.

Prints, for synthetic graphs of 200 (physics on: time to the layout's
'stabilizationIterationsDone'), 500, 2,000 and 10,000 agents (physics off:
positions from Python; time until the first full drawing), the Python render
time, the file size, and the browser time from navigation start to the page's
ready signal. Figures only: nothing is asserted.

    .venv/bin/python bench/viz_bench.py [SIZES...]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from kg.synth import hub_graph as synthetic_graph
from kg.render.page import PHYSICS_MAX_NODES
from kg.render.viz import write_html

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def main(sizes: list[int]) -> None:
    from playwright.sync_api import sync_playwright

    print(f"{'agents':>7} {'claims':>7} {'physics':>7} {'render (s)':>10} {'size (MB)':>9} {'browser to stable/ready (s)':>28}")
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for size in sizes:
            graph = synthetic_graph(size)
            out = Path(folder) / f"graph-{size}.html"
            started = time.perf_counter()
            summary = write_html(graph, out, max_nodes=size, conflicts=False)
            rendered = time.perf_counter() - started
            page = browser.new_page(viewport={"width": 1400, "height": 850})
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
            page.goto(out.as_uri())
            page.wait_for_selector("body[data-state=ready]", state="attached", timeout=600_000)
            ready = page.evaluate("() => window.kgReadyAt") / 1000  # ms since navigation start
            page.close()
            physics = "on" if summary.nodes <= PHYSICS_MAX_NODES else "off"
            print(f"{summary.nodes:>7,} {summary.edges:>7,} {physics:>7} {rendered:>10.2f} {out.stat().st_size / 1e6:>9.2f} {ready:>28.2f}",
                  flush=True)
        browser.close()


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [200, 500, 2000, 10000])
