"""An id that names nothing is one error line that suggests the ids close to it, on every command and backend."""

from __future__ import annotations

import pytest

from kg.entities import closest_ids, did_you_mean, unknown_id
from kg.errors import EndpointError

UNKNOWN = "Error: unknown id '{typed}': no entity with that id, IRI or label in the graph"


def error_line(result) -> str:
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1, result.stderr  # one line, no traceback
    return result.stderr.strip()


@pytest.mark.parametrize("store", ["memory", "oxigraph"])
@pytest.mark.parametrize(
    "args, typed, meant",
    [
        (["describe", "spacx"], "spacx", "spacex"),
        (["describe", "Space X"], "Space X", "spacex"),  # a label, any case, blanks aside
        (["describe", "elon musc"], "elon musc", "elon-musk"),  # close to a label: the id is suggested
        (["describe", "kgd:starlnk"], "kgd:starlnk", "starlink"),
        (["describe", "https://w3id.org/ai-compute-kg/data/antropic"], "https://w3id.org/ai-compute-kg/data/antropic", "anthropic"),
        (["owners", "starlnk"], "starlnk", "starlink"),
        (["analyze", "--path", "starlnk", "xai"], "starlnk", "starlink"),
    ],
)
def test_an_unknown_id_suggests_the_closest(runner, store, args, typed, meant):
    from kg.cli import cli

    result = runner.invoke(cli, [*args, "--store", store])
    assert error_line(result) == UNKNOWN.format(typed=typed) + f" (did you mean {meant}?)"


@pytest.mark.parametrize("store", ["memory", "oxigraph"])
def test_viz_focus_suggests_the_closest(runner, store, tmp_path):
    from kg.cli import cli

    out = tmp_path / "page.html"
    result = runner.invoke(cli, ["viz", "-o", str(out), "--focus", "spacx", "--store", store])
    assert error_line(result) == UNKNOWN.format(typed="spacx") + " (did you mean spacex?)"
    assert not out.exists()


@pytest.mark.parametrize("store", ["memory", "oxigraph"])
def test_query_param_suggests_the_closest(runner, store):
    from kg.cli import cli

    result = runner.invoke(cli, ["query", "controllers-of", "--param", "org=starlnk", "--store", store])
    assert error_line(result) == (
        "Error: --param org=starlnk: unknown id 'starlnk': no entity with that id, IRI or label in the graph "
        "(did you mean starlink?); to pass it as a string, quote it: org='\"starlnk\"'"
    )


@pytest.mark.parametrize("store", ["memory", "oxigraph"])
def test_nothing_close_suggests_nothing(runner, store):
    from kg.cli import cli

    result = runner.invoke(cli, ["describe", "nobody-at-all", "--store", store])
    assert error_line(result) == UNKNOWN.format(typed="nobody-at-all")


def test_suggestions_from_the_owners_of_a_sheet(runner, tmp_path):
    (tmp_path / "entities.csv").write_text(
        "id,name,type\nharbor-cloud,Harbor Cloud,CloudProvider\nfjord-capital,Fjord Capital,Investor\n", "utf-8"
    )
    (tmp_path / "relations.csv").write_text(
        "subject,relation,object,stake,source\nfjord-capital,owns,harbor-cloud,60%,filing\n", "utf-8"
    )
    from kg.cli import cli

    result = runner.invoke(cli, ["owners", "harbour-cloud", "--data", str(tmp_path)])
    assert error_line(result) == UNKNOWN.format(typed="harbour-cloud") + " (did you mean harbor-cloud?)"


def test_closest_ids_compare_ids_and_names_in_any_case_and_give_ids():
    names = [("dario-amodei", "Dario Amodei"), ("daniela-amodei", "Daniela Amodei"), ("aws", "Amazon Web Services")]
    assert closest_ids("Amazon web services", names) == ["aws"]
    assert closest_ids("darria amodei", names, cutoff=0.7) == ["dario-amodei", "daniela-amodei"]
    assert closest_ids("darria amodei", names, n=1, cutoff=0.7) == ["dario-amodei"]
    assert closest_ids("google", names) == []


def test_did_you_mean_names_one_two_or_three():
    assert did_you_mean([]) == ""
    assert did_you_mean(["spacex"]) == " (did you mean spacex?)"
    assert did_you_mean(["a", "b"]) == " (did you mean a or b?)"
    assert did_you_mean(["a", "b", "c"]) == " (did you mean a, b or c?)"


def test_an_endpoint_that_fails_to_suggest_leaves_the_error_as_it_was():
    def failing():
        raise EndpointError("http://example.org/sparql: timed out", url="http://example.org/sparql")

    assert str(unknown_id("spacx", failing)) == "unknown id 'spacx': no entity with that id, IRI or label in the graph"


GRAPH = "http://example.org/suggestions"


@pytest.fixture(scope="module")
def server(oxigraph_server):
    """An Oxigraph server holding the bundled example in GRAPH."""
    from kg.push import push

    push([], oxigraph_server, graph=GRAPH)
    return oxigraph_server


@pytest.mark.parametrize(
    "args, expected",
    [
        (["describe", "spacx"], UNKNOWN.format(typed="spacx") + " (did you mean spacex?)"),
        (["owners", "starlnk"], UNKNOWN.format(typed="starlnk") + " (did you mean starlink?)"),
        (["query", "controllers-of", "--param", "org=starlnk"],
         "Error: --param org=starlnk: unknown id 'starlnk': no entity with that id, IRI or label in the graph "
         "(did you mean starlink?); to pass it as a string, quote it: org='\"starlnk\"'"),
    ],
)
def test_an_endpoint_suggests_as_local_data_does(runner, server, args, expected):
    from kg.cli import cli

    result = runner.invoke(cli, [*args, "--endpoint", server, "--graph", GRAPH])
    assert error_line(result) == expected
