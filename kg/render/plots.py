"""Pictures where a picture says more: a timeline, findings over time, each lab's supply mix, a control tree.

Each function returns a matplotlib ``Figure`` built without pyplot, on the Agg
canvas, so it works headless, never changes the caller's pyplot backend, and
shows inline in Jupyter (after ``%matplotlib inline``) when it is a cell's value.
``save_figure`` writes PNG, SVG or PDF by the file's extension.

Dates: a claim is placed in the year it starts. Claims with no start date are
drawn in their own "undated" column of the timeline rather than guessed; with
open bounds they count as in force in every as-of snapshot, as the rules say.
"""

from __future__ import annotations

import io
from collections import Counter, defaultdict, deque
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

from rdflib import Graph

from kg.analysis.network import agent_graph, supply_concentration
from kg.claims import read_claim
from kg.conflicts.engine import find_conflicts
from kg.dates import parse_as_of
from kg.derive import check_min_status, claim_states
from kg.entities import resolve_entity
from kg.errors import UsageError
from kg.io.atomic import write_atomically
from kg.render.palette import CLAIM_COLORS, SEVERITY_COLORS, SUPPLIER_PALETTE

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from kg.analysis.timeline import FindingTimeline
    from kg.conflicts.pack import Rule

SAVE_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


def _figure(width: float, height: float) -> "Figure":
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def picture_format(path: str | Path) -> str:
    """``png``, ``svg`` or ``pdf``, by the file's extension; any other is a ``UsageError`` (check before drawing)."""
    path = Path(path)
    file_format = SAVE_FORMATS.get(path.suffix.lower())
    if file_format is None:
        raise UsageError(f"{path}: cannot tell the picture format from {path.suffix or '(no extension)'!r}; use .png, .svg or .pdf")
    return file_format


def save_figure(figure: "Figure", path: str | Path, *, dpi: int = 150) -> Path:
    """Write ``figure`` to ``path`` (``.png``, ``.svg`` or ``.pdf``), whole or not at all."""
    path = Path(path)
    file_format = picture_format(path)
    from matplotlib import rc_context

    buffer = io.BytesIO()
    # A fixed creation date, no software stamp and a fixed salt for the SVG's element ids (random
    # otherwise): the same picture gives the same bytes.
    metadata = {"png": {"Software": None}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}[file_format]
    with rc_context({"svg.hashsalt": "kg"}):
        figure.savefig(buffer, format=file_format, dpi=dpi, metadata=metadata)
    write_atomically(path, buffer.getvalue())
    return path


def _year(lexical: str | None) -> int | None:
    if lexical and len(lexical) >= 4 and lexical[:4].isdigit():
        return int(lexical[:4])
    return None


# --- timeline ---------------------------------------------------------------------------------


def timeline(
    graph: Graph,
    *,
    min_status: str = "rumored",
    years: Iterable[int] | None = None,
    today: date | None = None,
    pack: Sequence["Rule"] | None = None,
) -> "Figure":
    """Claims by the year they start (top) and conflict findings at each year's end (bottom).

    ``years`` defaults to the first dated claim's year through this year; each
    snapshot runs the rule pack (``pack``, default the bundled one; ``load_pack``
    adds a user's folders) as of 31 December (today for the current year).
    """
    min_status = check_min_status(min_status)
    today = today or date.today()
    states = claim_states(graph, as_of=today, min_status=min_status)
    started: Counter = Counter()
    for state in states:
        record = read_claim(graph, state.iri)
        started[(_year(record.start), record.type)] += 1
    dated_years = sorted({year for year, _ in started if year is not None})
    if years is None:
        first = dated_years[0] if dated_years else today.year - 4
        years = range(min(first, today.year), today.year + 1)
    years = sorted(set(years))
    if not years:
        raise UsageError("timeline needs at least one year")
    columns = ["undated"] + [str(y) for y in years]
    outside = sum(n for (year, _), n in started.items() if year is not None and year not in years)

    figure = _figure(9, 6.4)
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(1, 1))
    positions = list(range(len(columns)))
    base = [0] * len(columns)
    for claim_type, color in CLAIM_COLORS.items():
        heights = [started.get((None, claim_type), 0)] + [started.get((y, claim_type), 0) for y in years]
        if any(heights):
            top.bar(positions, heights, bottom=base, color=color, label=claim_type, width=0.7)
            base = [b + h for b, h in zip(base, heights)]
    top.set_ylabel("claims starting")
    top.set_title(f"Claims by start year (evidence at least {min_status})", loc="left", fontsize=11)
    top.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
    note = "'undated': claims with no start date (open bounds: they count in every snapshot below)"
    if outside:
        note += f"; {outside} claim(s) start outside {years[0]}–{years[-1]}"
    top.text(0, -0.02, note, transform=top.transAxes, fontsize=7.5, color="#555", va="top")

    severities: dict[str, list[int]] = {name: [] for name in SEVERITY_COLORS}
    for year in years:
        as_of = today if year == today.year else date(year, 12, 31)
        counts = Counter(f.severity for f in find_conflicts(graph, as_of=as_of, min_status=min_status, pack=pack))
        for name in severities:
            severities[name].append(counts.get(name, 0))
    base = [0] * len(years)
    for name, color in SEVERITY_COLORS.items():
        if any(severities[name]):
            bottom.bar(positions[1:], severities[name], bottom=base, color=color, label=name, width=0.7)
            base = [b + h for b, h in zip(base, severities[name])]
    for x, total in zip(positions[1:], base):
        bottom.text(x, total, str(total), ha="center", va="bottom", fontsize=8)
    bottom.set_ylabel("findings")
    bottom.set_title("Conflict findings in force at each year's end (today for this year)", loc="left", fontsize=11)
    bottom.legend(title="severity", loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, title_fontsize=8, frameon=False)
    bottom.set_xticks(positions, columns)
    bottom.set_ylim(0, max(base + [1]) * 1.2)
    bottom.text(0, 0.1, "snapshots\nare by year", ha="center", va="bottom", fontsize=7.5, color="#777")
    for axes in (top, bottom):
        axes.axvline(0.5, color="#adb5bd", linestyle=":", linewidth=1)  # undated | years
        axes.spines[["top", "right"]].set_visible(False)
        axes.yaxis.get_major_locator().set_params(integer=True)
    return figure


# --- findings over time ---------------------------------------------------------------------


def findings_over_time(timeline: "FindingTimeline") -> "Figure":
    """How many findings held on each day, by rule: stacked steps that change at the change dates.

    ``timeline`` is what ``kg.analysis.timeline.finding_timeline`` returns. The
    stretch before the first change date (what held "since forever") is drawn
    left of it, and the last stretch runs on past the last change date; each
    change date is a red tick under the date axis.
    """
    import matplotlib.dates as mdates
    from matplotlib import colormaps

    stretches = timeline.counts()
    days = list(timeline.change_dates)
    first, last = (days[0], days[-1]) if days else (date(2000, 1, 1), date(2000, 1, 1))
    pad = max((last - first) * 0.06, timedelta(days=180))
    # the before-stretch's start, each stretch's, and the last one's end (within the calendar: "9999-12" ends can happen)
    edges = [first - min(pad, first - date.min), *days, last + min(pad, date.max - last)]
    shown = [rule for rule in timeline.rules if any(counts[rule] for _, counts in stretches)]
    palette = colormaps["tab20"].colors

    figure = _figure(10, 4.8)
    axes = figure.add_subplot()
    base = [0] * len(stretches)
    for index, rule in enumerate(timeline.rules):
        if rule not in shown:
            continue
        heights = [counts[rule] for _, counts in stretches]
        top = [b + h for b, h in zip(base, heights)]
        color = palette[(2 * index + index // 10) % len(palette)]
        axes.fill_between(edges, base + base[-1:], top + top[-1:], step="post", color=color, linewidth=0, label=rule)
        base = top
    axes.step(edges, base + base[-1:], where="post", color="#343a40", linewidth=1)
    if days:
        axes.set_xticks(days, minor=True)  # each change date, a tick under the axis, even where a major tick is
        axes.xaxis.remove_overlapping_locs = False
        axes.tick_params(axis="x", which="minor", length=7, width=1.2, color="#d62828")
        axes.axvspan(edges[0], first, color="#f1f3f5", zorder=0)
        axes.text(edges[0], max(base + [1]) * 1.12, f"before {first.isoformat()}", fontsize=7.5, color="#555", va="top")
    else:
        axes.text(0.5, 0.9, "no dated claim: the same findings at every date", transform=axes.transAxes, ha="center", fontsize=9, color="#555")
    if not shown:
        axes.text(0.5, 0.5, "no finding at any date", transform=axes.transAxes, ha="center", fontsize=9, color="#555")
    axes.set_xlim(edges[0], edges[-1])
    axes.set_ylim(0, max(base + [1]) * 1.2)
    locator = mdates.AutoDateLocator()
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.set_ylabel("findings")
    axes.set_title(
        f"Conflict findings in force over time, by rule (evidence at least {timeline.min_status}, deals at least "
        f"{timeline.min_stage})\nred ticks: the change dates, where a claim begins or has just ended",
        loc="left", fontsize=10,
    )
    axes.spines[["top", "right"]].set_visible(False)
    if shown:
        handles, labels = axes.get_legend_handles_labels()
        order = [labels.index(rule) for rule in reversed(shown)]  # the top of the stack first
        axes.legend([handles[i] for i in order], [labels[i] for i in order], title="rule", loc="upper left",
                    bbox_to_anchor=(1.01, 1), fontsize=8, title_fontsize=8, frameon=False)
    return figure


# --- supply mix -------------------------------------------------------------------------------


def supply_mix(graph: Graph, *, as_of: str | date | None = None, min_status: str = "rumored") -> "Figure":
    """Each AI lab's active compute supply as one 100% bar split by supplier, with its HHI."""
    as_of_date = parse_as_of(as_of)
    labs = supply_concentration(agent_graph(graph, as_of=as_of_date, min_status=min_status))
    labs = sorted(labs, key=lambda lab: (lab.suppliers == 0, lab.lab.label.casefold()))
    suppliers = sorted({s.supplier.iri: s.supplier.label for lab in labs for s in lab.shares}.items(), key=lambda kv: kv[1].casefold())
    colors = {iri: SUPPLIER_PALETTE[i % len(SUPPLIER_PALETTE)] for i, (iri, _) in enumerate(suppliers)}

    figure = _figure(9, 1.2 + 0.55 * max(len(labs), 1))
    axes = figure.add_subplot()
    seen: set[str] = set()
    for row, lab in enumerate(labs):
        left = 0.0
        for share in lab.shares:
            label = None if share.supplier.iri in seen else share.supplier.label
            seen.add(share.supplier.iri)
            axes.barh(row, share.share, left=left, color=colors[share.supplier.iri], label=label, height=0.6, edgecolor="white")
            if share.share >= 12:
                axes.text(left + share.share / 2, row, f"{share.share:.0f}%", ha="center", va="center", fontsize=8, color="white")
            left += share.share
        if lab.hhi is None:
            axes.text(1, row, "no active compute supplier", va="center", fontsize=8, color="#777")
        else:
            basis = {"capacity": "by capacity (MW)", "value": f"by contract value ({lab.currency or '?'})"}.get(lab.basis, "equal shares")
            suppliers_text = "1 supplier" if lab.suppliers == 1 else f"{lab.suppliers} suppliers"
            axes.text(101.5, row, f"HHI {lab.hhi:,.0f}\n{suppliers_text}, {basis}", va="center", fontsize=8)
    axes.set_yticks(range(len(labs)), [lab.lab.label for lab in labs])
    axes.set_ylim(len(labs) - 0.5, -0.5)  # first lab on top, a margin below the last
    axes.set_xlim(0, 140)
    axes.set_xticks([0, 25, 50, 75, 100])
    axes.set_xlabel("share of the lab's active compute supply (%)")
    axes.set_title(f"Compute supply mix per AI lab, as of {as_of_date.isoformat()} (evidence at least {min_status})", loc="left", fontsize=11)
    axes.spines[["top", "right"]].set_visible(False)
    if suppliers:
        figure.legend(title="supplier", loc="outside lower center", ncols=min(len(suppliers), 5), fontsize=8, title_fontsize=8, frameon=False)
    if not labs:
        axes.text(0.5, 0.5, "no AI lab in the graph", transform=axes.transAxes, ha="center")
    return figure


# --- control tree -----------------------------------------------------------------------------


def control_tree(
    graph: Graph, agent: str, *, as_of: str | date | None = None, min_status: str = "rumored", control_threshold=50
) -> "Figure":
    """What ``agent`` controls through active control links, drawn top-down from it.

    Each box is an agent (compute suppliers in bold), each arrow a control link
    (a control claim, or an ownership whose share reaches ``control_threshold``)
    with its status; a second route to an agent already drawn is a dashed arrow.
    """
    as_of_date = parse_as_of(as_of)
    root = str(resolve_entity(graph, agent))
    network = agent_graph(graph, as_of=as_of_date, min_status=min_status, control_threshold=control_threshold, active_only=True)
    links: dict[str, list[tuple[str, str]]] = defaultdict(list)
    suppliers = set()
    for subject, obj, data in network.edges(data=True):
        if data["control"]:
            links[subject].append((obj, data["status"]))
        elif data["type"] == "ComputeContract":
            suppliers.add(obj)
    label = lambda node: network.nodes[node]["label"] if node in network else node  # noqa: E731

    # Breadth first, children by label: the tree edges, and the extra routes drawn dashed.
    children: dict[str, list[str]] = defaultdict(list)
    depth, tree_edges, extra_edges = {root: 0}, [], []
    queue = deque([root])
    while queue:
        node = queue.popleft()
        for child, status in sorted(links.get(node, ()), key=lambda item: label(item[0]).casefold()):
            if child in depth:
                extra_edges.append((node, child, status))
                continue
            depth[child] = depth[node] + 1
            children[node].append(child)
            tree_edges.append((node, child, status))
            queue.append(child)

    x: dict[str, float] = {}
    next_leaf = [0.0]

    def place(node: str) -> None:
        for child in children[node]:
            place(child)
        if children[node]:
            x[node] = (x[children[node][0]] + x[children[node][-1]]) / 2
        else:
            x[node] = next_leaf[0]
            next_leaf[0] += 1

    place(root)
    width = max(next_leaf[0], 1)
    levels = max(depth.values()) + 1
    figure = _figure(max(6.5, 2.2 * width), 1.3 + 1.0 * levels)
    axes = figure.add_subplot()
    axes.set_axis_off()
    axes.set_xlim(-0.7, width - 0.3)
    axes.set_ylim(-(levels - 1) - 0.35, 0.35)
    box = dict(boxstyle="round,pad=0.4", facecolor="#f1f3f5", edgecolor="#6c757d")
    for source, target, status in tree_edges + extra_edges:
        dashed = (source, target, status) in extra_edges
        axes.annotate(
            "",
            xy=(x[target], -depth[target] + 0.14),
            xytext=(x[source], -depth[source] - 0.14),
            arrowprops=dict(arrowstyle="-|>", color="#e76f51", linestyle="--" if dashed else "-", shrinkA=0, shrinkB=0),
        )
        axes.text(
            (x[source] + x[target]) / 2, -(depth[source] + depth[target]) / 2, status,
            ha="center", va="center", fontsize=7.5, color="#9c4221", backgroundcolor="white",
        )
    for node, level in depth.items():
        style = dict(box, facecolor="#fde8e1", edgecolor="#e76f51") if node == root else box
        axes.text(x[node], -level, label(node), ha="center", va="center", fontsize=9, bbox=style, fontweight="bold" if node in suppliers else "normal")
    title = f"What {label(root)} controls\nas of {as_of_date.isoformat()}, evidence at least {min_status}"
    axes.set_title(title, loc="left", fontsize=11)
    if not tree_edges:
        axes.text(0, -0.45, "no active control link from this agent", ha="center", fontsize=8, color="#777")
    else:
        axes.text(0, 0, "bold: compute supplier · arrow label: the control claim's status · dashed: a second route",
                  transform=axes.transAxes, fontsize=7.5, color="#555", va="bottom")
    return figure
