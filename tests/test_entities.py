"""kg.entities: what a user types resolves to an entity, or is one clear error (never a traceback)."""

from __future__ import annotations

import pytest

from kg.entities import is_iri


@pytest.mark.parametrize("text", ["urn:x:a", "https://example.org/ü", "mailto:a@b", "http://[::1]/"])
def test_valid_iris(text):
    assert is_iri(text)


@pytest.mark.parametrize("text", ["a", "http://a b", 'http://x/"', "http://x/\x01", "http://x/%zz", "http://x/{a}"])
def test_invalid_iris(text):
    assert not is_iri(text)


@pytest.mark.parametrize("store", ["memory", "oxigraph"])
@pytest.mark.parametrize("entity", ["http://a b", "<http://x/\x01>", "kgd:a b", 'https://w3id.org/ai-compute-kg/data/a"b'])
def test_describe_with_a_malformed_iri_is_one_error_line(runner, store, entity):
    from kg.cli import cli

    result = runner.invoke(cli, ["describe", "--store", store, entity])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: unknown id") and result.stderr.count("\n") == 1
