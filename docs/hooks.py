"""mkdocs hook: the ontology's pyLODE reference becomes a page of the site (ontology-reference.html).

It is generated from the installed kg's ontology at every build, as ``kg docs`` writes it, so it
can never drift from the ontology; nothing is written into docs/.
"""

from __future__ import annotations

from mkdocs.structure.files import File


def on_files(files, config):
    from kg.render.docs import render_docs

    files.append(File.generated(config, "ontology-reference.html", content=render_docs()))
    return files
