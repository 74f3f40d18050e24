"""Shared fixtures: the bundled graph, a CLI runner, and where test artefacts go."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.io.load import load_graph

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
#: Screenshots and plots a reader of the test run should look at.
ARTIFACTS = Path(os.environ.get("KG_TEST_ARTIFACTS", REPO / "test-artifacts"))


@pytest.fixture(scope="session")
def bundled_graph():
    """The bundled example data with the ontology (do not mutate)."""
    return load_graph()


@pytest.fixture(scope="session")
def bundled_data_only():
    """The bundled example data without the ontology (do not mutate)."""
    return load_graph(include_ontology=False)


@pytest.fixture(scope="module")
def oxigraph_server():
    """A real Oxigraph SPARQL server on 127.0.0.1, in memory, for one test module: its query URL."""
    import servers

    try:
        process, url = servers.start_oxigraph()
    except servers.OxigraphMissing as missing:
        pytest.skip(str(missing))
    yield url
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def invoke(runner):
    """Run ``kg ARGS...`` in-process; returns click's Result (exit_code, stdout, stderr)."""
    from kg.cli import cli

    def run(*args: str, **kwargs):
        return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False, **kwargs)

    return run


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium, the system's (never ``playwright install``), for one test module (tests/test_viz*.py)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI every tool the tests use is installed by .ci/run, so a skip there is a failure.

    Locally a missing Java, rapper or Chromium skips those tests with the reason;
    in CI the same skip would hide a broken install step.
    """
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where .ci/run installs every tool: {report.longrepr}"
