"""The installed ``kg`` command: version, stats, describe, export; works from any folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib.compare import isomorphic

import kg
from kg.io.load import load_graph


def kg_command() -> str:
    return str(Path(sys.executable).parent / "kg")


def test_tests_run_against_the_installed_package_not_the_checkout():
    assert "site-packages" in kg.__file__


def test_installed_kg_works_from_another_folder(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    stats = subprocess.run([kg_command(), "stats"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert stats.returncode == 0, stats.stderr
    assert "ComputeContract" in stats.stdout and "AILab" in stats.stdout
    validate = subprocess.run([kg_command(), "validate"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert validate.returncode == 0, validate.stdout + validate.stderr
    assert "Conforms" in validate.stdout


def test_version_is_the_package_version(invoke):
    result = invoke("--version")
    assert result.exit_code == 0 and kg.__version__ in result.stdout


def test_every_command_help_has_an_example(invoke):
    from kg.cli import cli

    for name in cli.commands:
        result = invoke(name, "--help")
        assert result.exit_code == 0
        example = result.stdout.split("Example:", 1)[1] if "Example:" in result.stdout else ""
        example_lines = [line.strip() for line in example.split("Options:", 1)[0].splitlines() if line.strip()]
        assert any(line.startswith(f"kg {name}") for line in example_lines), name


def test_stats_counts_instances_per_class(invoke, bundled_data_only):
    result = invoke("stats", "--format", "json")
    document = json.loads(result.stdout)
    assert document["triples"] == len(bundled_data_only)
    assert document["classes"]["AILab"] == 5
    assert document["classes"]["ComputeContract"] == 2
    assert document["classes"]["Person"] == 3
    assert sum(document["statuses"].values()) == document["classes"]["Attestation"]


def test_describe_shows_types_and_claims_with_sources(invoke):
    result = invoke("describe", "spacex")
    assert result.exit_code == 0
    assert result.stdout.startswith("SpaceX  <https://w3id.org/ai-compute-kg/data/spacex>")
    assert "launch provider" in result.stdout
    assert "Anthropic buys compute from SpaceX" in result.stdout
    assert "Elon Musk controls SpaceX" in result.stdout
    assert "reported: Detailed Analysis" in result.stdout


@pytest.mark.parametrize("ref", ["elon-musk", "kgd:elon-musk", "https://w3id.org/ai-compute-kg/data/elon-musk", "Elon Musk"])
def test_describe_accepts_id_prefixed_name_iri_or_label(invoke, ref):
    result = invoke("describe", ref, "--format", "json")
    assert json.loads(result.stdout)["id"] == "elon-musk"


def test_describe_unknown_id_is_one_error_line(runner):
    from kg.cli import cli

    result = runner.invoke(cli, ["describe", "nobody-at-all"])
    assert result.exit_code == 2 and result.stderr.strip() == (
        "Error: unknown id 'nobody-at-all': no entity with that id, IRI or label in the graph"
    )


@pytest.mark.parametrize("suffix", [".ttl", ".nt", ".jsonld", ".rdf", ".trig", ".nq"])
def test_export_writes_the_data_in_the_format_of_the_extension(invoke, tmp_path, suffix, bundled_data_only):
    out = tmp_path / f"graph{suffix}"
    result = invoke("export", "-o", out)
    assert result.exit_code == 0, result.output
    assert isomorphic(load_graph([out], include_ontology=False), bundled_data_only)


def test_export_with_ontology_includes_the_ontology(invoke, tmp_path, bundled_graph):
    out = tmp_path / "all.ttl"
    invoke("export", "-o", out, "--with-ontology")
    assert len(load_graph([out], include_ontology=False)) == len(bundled_graph)


def test_failed_export_leaves_the_existing_file_untouched(runner, tmp_path):
    from kg.cli import cli

    out = tmp_path / "graph.ttl"
    out.write_text("precious", encoding="utf-8")
    bad = tmp_path / "bad.ttl"
    bad.write_text("this is not turtle", encoding="utf-8")
    result = runner.invoke(cli, ["export", "-o", str(out), "--data", str(bad)])
    assert result.exit_code == 2
    assert out.read_text(encoding="utf-8") == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.ttl", "graph.ttl"]  # no temporary left


def test_export_failing_while_writing_leaves_the_existing_file_untouched(tmp_path, monkeypatch, bundled_data_only):
    import kg.export as export
    import kg.io.atomic as atomic

    out = tmp_path / "graph.ttl"
    out.write_text("precious", encoding="utf-8")

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(atomic.os, "replace", explode)
    with pytest.raises(RuntimeError):
        export.export_graph(bundled_data_only, out)
    assert out.read_text(encoding="utf-8") == "precious"
    assert [p.name for p in tmp_path.iterdir()] == ["graph.ttl"]


def test_export_into_a_missing_folder_is_one_error_line(runner, tmp_path):
    from kg.cli import cli

    result = runner.invoke(cli, ["export", "-o", str(tmp_path / "nope" / "graph.ttl")])
    assert result.exit_code == 2 and result.stderr.startswith("Error:") and "does not exist" in result.stderr


def test_export_unknown_extension_asks_for_a_format(runner, tmp_path):
    from kg.cli import cli

    result = runner.invoke(cli, ["export", "-o", str(tmp_path / "graph.weird")])
    assert result.exit_code == 2 and "--format" in result.stderr


@pytest.mark.parametrize("command", [["export", "--format", "ttl"], ["viz"]])
def test_output_that_is_a_folder_is_one_error_line(runner, tmp_path, command):
    from kg.cli import cli

    result = runner.invoke(cli, [*command, "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"Error: {tmp_path}: is a folder; give a file name"


def test_library_errors_name_keyword_arguments_and_the_cli_names_its_flags(invoke):
    from kg.dates import parse_as_of
    from kg.errors import UsageError

    with pytest.raises(UsageError) as caught:
        parse_as_of("yesterday")
    assert str(caught.value) == "invalid as_of date 'yesterday'; expected YYYY, YYYY-MM or YYYY-MM-DD"
    result = invoke("conflicts", "--as-of", "yesterday")
    assert result.exit_code == 2
    assert result.stderr == "Error: invalid --as-of date 'yesterday'; expected YYYY, YYYY-MM or YYYY-MM-DD\n"
    refused = invoke("query", "-e", "CLEAR ALL")
    assert refused.exit_code == 2 and refused.stderr.endswith("(pass --allow-update)\n")



def test_warnings_name_keyword_arguments_and_the_cli_names_its_flags(invoke):
    import warnings as python_warnings

    from kg.errors import KgWarning, arg

    with python_warnings.catch_warnings(record=True) as caught:
        python_warnings.simplefilter("always")
        python_warnings.warn(KgWarning(f"shortcut without {arg('infer')}"))
    assert str(caught[0].message) == "shortcut without infer"
    result = invoke("query", "-e", "SELECT ?a WHERE { ?a kg:controls ?b }")
    assert result.exit_code == 0 and "(pass --infer)" in result.stderr and "\x00" not in result.stderr


def test_an_error_quoting_a_value_shows_its_control_characters_escaped(invoke):
    result = invoke("describe", "evil\x1b[2J\nsecond line")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "\x1b" not in result.stderr and "\\x1b" in result.stderr
