"""``kg push``: load the ontology, the data and the derived facts into a SPARQL store, whole or not at all.

A push never edits the graphs it replaces in place. It takes a lock on them at
the server, loads the new triples into temporary graphs of its own, checks
that the server holds every triple it was sent, then swaps the temporary graphs
in with one SPARQL Update request (``MOVE``) that also releases the lock. An
interrupted push therefore leaves the graphs as they were; another push to the
same graphs meanwhile is refused rather than merged into this one.
"""

from __future__ import annotations

import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from kg.backends.endpoint import EndpointBackend, check_iri, drop_text, not_offered
from kg.backends.http import Credentials, check_url, shown
from kg.backends.open import open_backend
from kg.derive import LINK_CLASSES, ControlGraph, Reading, claim_states, closure_edges, in_store_edge_queries
from kg.errors import EndpointError, GraphLockedError, KgWarning, arg
from kg.identity import Identity
from kg.vocab import DEFAULT_CONTROL_THRESHOLD, DERIVED_GRAPH, PUSH

# A push under way keeps its lock in a graph of its own, <token/lock>, beside its temporary graphs
# <token/0>, <token/1>...: dropping that one graph releases it (Virtuoso ran a swap holding a
# DELETE ... WHERE three times slower).
_LOCKED_BY, _SINCE, _TEMPORARY, _IN_PLACE = PUSH + "lockedBy", PUSH + "since", PUSH + "temporary", PUSH + "inPlace"
#: What stands for the default graph in a lock.
_DEFAULT_GRAPH = PUSH + "default-graph"


@dataclass(frozen=True)
class PushReport:
    data_triples: int
    derived_triples: int
    data_graph: str | None  # None: the endpoint's default graph
    derived_graph: str
    method: str
    atomic: bool = True  # False: the graphs were replaced one by one, in place (bulk, or a server without SPARQL Update)


def derived_graph_name(graph: str | None) -> str:
    """The graph the derived facts go to: beside the data, never mixed into it."""
    return f"{graph}/derived" if graph else DERIVED_GRAPH


def push(
    inputs: Iterable[str | Path],
    endpoint: str,
    *,
    graph: str | None = None,
    store_url: str | None = None,
    update_url: str | None = None,
    timeout: float = 60.0,
    bulk: bool = False,
    as_of=None,
    min_status: str = "rumored",
    min_stage: str = "proposed",
    control_threshold=DEFAULT_CONTROL_THRESHOLD,
    break_lock: bool = False,
    credentials: Credentials | None = None,
    progress_factory=None,
) -> PushReport:
    """Replace ``graph`` at ``endpoint`` with local data and the ontology, and its derived graph with the facts the rules derive.

    The inputs go through an in-memory Oxigraph store, which parses them and
    derives the facts as the conflict rules on Oxigraph do, then leave as
    N-Triples: no triple becomes a Python object unless it holds a blank node.
    The derived facts (kgr: edges for ``as_of``, see kg.derive) let the rule files
    in queries/conflicts/ run on the server itself; conflicts found at an
    endpoint derive their own and do not need them. Both graphs are replaced
    together, atomically where the server takes SPARQL Update (``replace_graphs``).
    ``bulk`` has an Oxigraph server load them in place without a transaction,
    for graphs too large for one (not atomic); ``break_lock`` removes the lock (and temporary graphs) a killed
    push left; ``timeout`` bounds each request; ``credentials`` are as for
    ``EndpointBackend``; ``progress_factory`` is as for ``kg.backends.open.open_backend``.
    """
    reading = Reading.of(as_of, min_status, min_stage, control_threshold)
    # The URLs and the graph's name are checked before any work.
    target = EndpointBackend(endpoint, timeout=timeout, credentials=credentials)
    graph = check_iri(graph, "graph") if graph is not None else None
    for name, url in (("store_url", store_url), ("update_url", update_url)):
        if url is not None:
            check_url(url, name)
    derived_graph = derived_graph_name(graph)
    # The ontology comes with the data, as for local commands.
    local = open_backend(list(inputs), store="oxigraph", progress_factory=progress_factory)
    identity = Identity.of(local)  # agents that share an identifier are one agent, stated as owl:sameAs
    derived = local.constructed(in_store_edge_queries(reading.as_of, reading.min_status, min_stage=reading.min_stage, agent_types=False))
    identity.merge_into(derived)
    links = claim_states(
        local, as_of=reading.as_of, min_status=reading.min_status, min_stage=reading.min_stage, classes=sorted(LINK_CLASSES), identity=identity
    )
    control = ControlGraph(links, reading.control_threshold)
    derived.add_triples(closure_edges(control))
    body, derived_body = local.ntriples(), derived.ntriples()
    method, atomic = replace_graphs(
        target, {graph: body, derived_graph: derived_body}, store_url=store_url, update_url=update_url, in_place=bulk, break_lock=break_lock
    )
    return PushReport(body.count(b"\n"), derived_body.count(b"\n"), graph, derived_graph, method, atomic)


def replace_graphs(
    target: EndpointBackend,
    contents: dict[str | None, bytes],
    *,
    store_url: str | None = None,
    update_url: str | None = None,
    in_place: bool = False,
    break_lock: bool = False,
) -> tuple[str, bool]:
    """Replace each graph (None: the default graph) with its N-Triples document, all or none; (method, atomic).

    Locks the graphs, loads temporary graphs, checks their triple counts, checks
    the lock again and swaps them in with one update, which the server finishes
    once it has it, whatever happens to kg. On Oxigraph that update is one
    transaction; Virtuoso runs it row by row, so a reader, or a failure of the
    server itself, may see it half done.
    ``in_place`` writes straight into the graphs with Oxigraph's bulk loader,
    under the lock, for graphs too large for one transaction: not atomic, and a
    push killed then leaves its lock, so the next push says the graphs may be
    partial. A server without SPARQL Update can only have each graph PUT in
    place, unlocked: kg does so with a warning.
    """
    graphs = list(contents)
    try:
        lock = _Lock.acquire(target, graphs, update_url, break_lock, in_place)
    except EndpointError as exc:
        if update_url or not not_offered(exc):
            raise
        return _replace_unlocked(target, contents, store_url=store_url, bulk=in_place), False
    if in_place:
        return _replace_in_place(target, contents, lock, store_url), False
    # A temporary graph is this push's alone, so Oxigraph may fill it with its bulk loader.
    bulk = target.software.startswith("Oxigraph")
    temporary = lock.temporary
    try:
        methods = [target.write_graph(contents[graph], temporary[graph], store_url=store_url, update_url=lock.update_url, bulk=bulk) for graph in graphs]
        for graph in graphs:
            _check_count(target, temporary[graph], contents[graph], graph)
        lock.check()
        swap = [_move(temporary[graph], graph) if contents[graph].strip() else _drop(temporary[graph], graph) for graph in graphs]
        text = " ;\n".join([*swap, lock.release_text()])
        if target.software.startswith("Virtuoso"):
            # Virtuoso keeps a transaction's changes in memory up to TransactionAfterImageLimit (50 MB), which a
            # MOVE of 10^6 triples exceeds: row by row, the request still runs whole once the server has it.
            text = "DEFINE sql:log-enable 3 " + text
        try:
            target.update(text, lock.update_url)
        except EndpointError as exc:
            if exc.status is None:  # no answer: the server may have swapped
                why = f"the server had the swap, so {lock.names} may hold the new triples or the old: push again"
            elif target.software.startswith("Oxigraph"):  # one transaction
                why = f"the server refused the swap, so {lock.names} are as they were"
            else:
                why = f"the server refused the swap and may have left {lock.names} half done: check them and push again"
            raise EndpointError(f"{exc.args[0]}; {why}", url=exc.url, status=exc.status) from None
    except BaseException:  # Ctrl-C included: the graphs are untouched, so remove what this push added
        lock.abandon()
        raise
    for graph in graphs:
        if graph is not None:  # a server may read its default graph as the union of all
            _check_count(target, graph, contents[graph], graph)
    loaded = methods[0]
    return (loaded if loaded.startswith("SPARQL Update") else f"{loaded}, swapped in by SPARQL Update at {shown(lock.update_url)}"), True


def _replace_in_place(target: EndpointBackend, contents: dict[str | None, bytes], lock: _Lock, store_url: str | None) -> str:
    try:
        methods = [target.write_graph(ntriples, graph, store_url=store_url, update_url=lock.update_url, bulk=True) for graph, ntriples in contents.items()]
        for graph, ntriples in contents.items():
            _check_count(target, graph, ntriples, graph)
    except EndpointError as exc:
        lock.abandon()
        raise EndpointError(f"{exc.args[0]}; the push wrote in place, so {lock.names} may now be partial: push again", url=exc.url, status=exc.status) from None
    # Interrupted otherwise (Ctrl-C), the lock stays: the next push must say the graphs may be partial.
    target.update(lock.release_text(), lock.update_url)
    return f"{methods[0]}, in place"


def _move(temporary: str, graph: str | None) -> str:
    return f"MOVE GRAPH <{temporary}> TO " + (f"GRAPH <{graph}>" if graph is not None else "DEFAULT")


def _drop(temporary: str, graph: str | None) -> str:
    return f"{drop_text(temporary)} ;\n{drop_text(graph)}"


def _check_count(target: EndpointBackend, graph: str | None, ntriples: bytes, replaced: str | None) -> None:
    """The server holds exactly the triples sent to ``graph``: a 2xx answer alone (an HTML page, say) proves nothing."""
    sent, held = ntriples.count(b"\n"), target.count(graph)
    if held == sent:
        return
    if graph == replaced:
        message = f"after the push, {_name(replaced)} holds {held} triples where kg sent {sent}"
    else:
        message = f"the server holds {held} of the {sent} triples kg sent for {_name(replaced)}, so kg left {_name(replaced)} as it was"
    raise EndpointError(f"{target.shown}: {message}", url=target.shown)


def _name(graph: str | None) -> str:
    return f"<{graph}>" if graph is not None else "the default graph"


def _replace_unlocked(target: EndpointBackend, contents: dict[str | None, bytes], *, store_url: str | None, bulk: bool) -> str:
    names = " and ".join(_name(graph) for graph in contents)
    warnings.warn(
        f"{target.shown}: the server takes no SPARQL Update, so kg can neither lock {names} nor swap them in whole: "
        "it replaces them one by one, and an interrupted push leaves them apart",
        KgWarning,
        stacklevel=3,
    )
    methods = [target.write_graph(ntriples, graph, store_url=store_url, update_url=None, bulk=bulk) for graph, ntriples in contents.items()]
    for graph, ntriples in contents.items():
        if graph is not None:
            _check_count(target, graph, ntriples, graph)
    return methods[0]


class _Lock:
    """A push's hold on graphs at a server: triples naming this push's token, in its graph <token/lock>.

    Taking it inserts the token, then reads who holds the graphs: alone, this
    push goes on; with another token there, it removes its own and stops (two
    pushes starting together may both stop; neither goes on beside the other).
    """

    def __init__(self, target: EndpointBackend, graphs: list[str | None], token: str, update_url: str) -> None:
        self.target, self.graphs, self.token, self.update_url = target, graphs, token, update_url
        self.temporary = {graph: f"{token}/{index}" for index, graph in enumerate(graphs)}

    @classmethod
    def acquire(cls, target: EndpointBackend, graphs: list[str | None], update_url: str | None, break_lock: bool, in_place: bool) -> _Lock:
        token = f"{PUSH}{uuid.uuid4().hex}"
        if break_lock:
            update_url = _break(target, graphs, update_url)
        about = [f"<{_TEMPORARY}> <{token}/{index}>" for index in range(len(graphs))] + ([f"<{_IN_PLACE}> true"] if in_place else [])
        text = (
            f"INSERT {{ GRAPH <{token}/lock> {{ ?graph <{_LOCKED_BY}> <{token}> . <{token}> <{_SINCE}> ?now ; {' ; '.join(about)} }} }} "
            f"WHERE {{ VALUES ?graph {{ {_subjects(graphs)} }} BIND(NOW() AS ?now) }}"
        )
        lock = cls(target, graphs, token, target.update(text, update_url))
        holders = _holders(target, graphs)
        if token not in holders:
            raise EndpointError(
                f"{shown(lock.update_url)}: the server answered the update that locks {lock.names} but did not apply it; "
                "kg cannot push there safely",
                url=shown(lock.update_url),
            )
        if len(holders) > 1:
            lock.abandon()
            others = [holder for name, holder in holders.items() if name != token]
            since = min(holder.since for holder in others)
            partial = " (it wrote in place, so if it was killed the graphs may be partial)" if any(holder.in_place for holder in others) else ""
            raise GraphLockedError(
                f"{target.shown}: another kg push to {lock.names} holds its lock (since {since}, server time){partial}; "
                f"wait for it to finish, or, if none is running (one was killed), push again with {arg('break_lock')}",
                url=target.shown,
                graph=graphs[0],
            )
        return lock

    @property
    def names(self) -> str:
        return " and ".join(_name(graph) for graph in self.graphs)

    def check(self) -> None:
        """Before the swap: this push still holds the lock alone (no one broke it meanwhile)."""
        if set(_holders(self.target, self.graphs)) != {self.token}:
            raise GraphLockedError(
                f"{self.target.shown}: another kg push took the lock on {self.names} during this one; {self.names} left as they were",
                url=self.target.shown,
                graph=self.graphs[0],
            )

    def release_text(self) -> str:
        return _forget(self.token)

    def abandon(self) -> None:
        """Drop this push's temporary graphs and its lock, as far as the server lets; a warning if it does not."""
        text = " ;\n".join([*(drop_text(graph) for graph in self.temporary.values()), _forget(self.token)])
        try:
            self.target.update(text, self.update_url)
        except (EndpointError, OSError):
            warnings.warn(
                f"{self.target.shown}: kg could not remove this push's lock on {self.names}; the next push there needs "
                f"{arg('break_lock')}",
                KgWarning,
                stacklevel=2,
            )


def _subjects(graphs: list[str | None]) -> str:
    return " ".join(f"<{graph if graph is not None else _DEFAULT_GRAPH}>" for graph in graphs)


@dataclass(frozen=True)
class _Holder:
    since: str
    in_place: bool


def _holders(target: EndpointBackend, graphs: list[str | None]) -> dict[str, _Holder]:
    """The pushes (by token) holding a lock on any of ``graphs``: since when (server time), and whether they write in place."""
    _, rows = target.select(
        f"SELECT ?holder ?since ?in_place WHERE {{ GRAPH ?lock {{ VALUES ?graph {{ {_subjects(graphs)} }} "
        f"?graph <{_LOCKED_BY}> ?holder OPTIONAL {{ ?holder <{_SINCE}> ?since }} OPTIONAL {{ ?holder <{_IN_PLACE}> ?in_place }} }} "
        f'FILTER(STRSTARTS(STR(?holder), "{PUSH}") && STR(?lock) = CONCAT(STR(?holder), "/lock")) }}'
    )
    return {str(holder): _Holder(str(since) if since is not None else "an unknown time", in_place is not None) for holder, since, in_place in rows}


def _forget(token: str) -> str:
    """The update releasing ``token``'s lock."""
    return drop_text(f"{token}/lock")


def _break(target: EndpointBackend, graphs: list[str | None], update_url: str | None) -> str | None:
    """Remove the locks on ``graphs`` and the temporary graphs of the pushes that held them; the update URL used."""
    for holder in _holders(target, graphs):
        holder = check_iri(holder, "graph")
        _, rows = target.select(f"SELECT ?graph WHERE {{ GRAPH ?lock {{ <{holder}> <{_TEMPORARY}> ?graph }} }}")
        drops = [drop_text(check_iri(str(row[0]), "graph")) for row in rows if str(row[0]).startswith(PUSH)]
        update_url = target.update(" ;\n".join([*drops, _forget(holder)]), update_url)
    return update_url
