"""Seeded layouts: the same graph always gets the same picture, at any size."""

from __future__ import annotations

import math

LAYOUT_SEED = 7


def layout(node_ids: list[str], links: list[tuple[str, str]], *, seed: int = LAYOUT_SEED) -> dict[str, tuple[float, float]]:
    """Seeded positions in pixels; the same graph always gets the same picture.

    Small graphs use networkx's spring layout. Larger ones use a Fruchterman–Reingold
    variant whose repulsion is estimated from a seeded sample of nodes each round
    (numpy only, O(N·S) per round), because networkx needs scipy past 500 nodes
    and is quadratic in time and memory.
    """
    n = len(node_ids)
    if n == 0:
        return {}
    if n == 1:
        return {node_ids[0]: (0.0, 0.0)}
    index = {node: i for i, node in enumerate(node_ids)}
    pairs = sorted({(min(index[a], index[b]), max(index[a], index[b])) for a, b in links if a != b})
    if n <= 300:
        import networkx as nx

        nx_graph = nx.Graph()
        nx_graph.add_nodes_from(range(n))
        nx_graph.add_edges_from(pairs)
        raw = nx.spring_layout(nx_graph, seed=seed, k=2.2 / math.sqrt(n), iterations=200)
        coords = [(float(raw[i][0]), float(raw[i][1])) for i in range(n)]
    else:
        coords = sampled_force_layout(n, pairs, seed=seed)
    scale = 140.0 * math.sqrt(n)
    xs = [c[0] for c in coords]
    ys = [c[1] for c in coords]
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
    return {
        node: (round((x - cx) / span * scale, 1), round((y - cy) / span * scale, 1)) for node, (x, y) in zip(node_ids, coords)
    }


def sampled_force_layout(n: int, pairs: list[tuple[int, int]], *, seed: int, iterations: int = 60, sample: int = 400):
    import numpy as np

    rng = np.random.default_rng(seed)
    x, y = rng.random(n), rng.random(n)
    k2 = 1.0 / n  # ideal distance k = sqrt(area / n), squared
    k = math.sqrt(k2)
    src = np.array([p[0] for p in pairs], dtype=np.int64)
    dst = np.array([p[1] for p in pairs], dtype=np.int64)
    temperature = 0.1
    cooling = temperature / (iterations + 1)
    for _ in range(iterations):
        if n <= sample:
            ax, ay, weight = x, y, 1.0
        else:
            chosen = rng.choice(n, size=sample, replace=False)
            ax, ay, weight = x[chosen], y[chosen], n / sample
        dx = x[:, None] - ax[None, :]
        dy = y[:, None] - ay[None, :]
        force = dx * dx
        force += dy * dy
        np.maximum(force, 1e-6, out=force)
        np.divide(k2 * weight, force, out=force)  # repulsion k²/d along (dx, dy)/d
        push_x = (dx * force).sum(axis=1)
        push_y = (dy * force).sum(axis=1)
        if len(pairs):
            ex, ey = x[src] - x[dst], y[src] - y[dst]
            pull = np.sqrt(ex * ex + ey * ey) / k  # attraction d²/k along (ex, ey)/d
            np.add.at(push_x, src, -ex * pull)
            np.add.at(push_y, src, -ey * pull)
            np.add.at(push_x, dst, ex * pull)
            np.add.at(push_y, dst, ey * pull)
        length = np.maximum(np.sqrt(push_x * push_x + push_y * push_y), 1e-9)
        step = np.minimum(length, temperature) / length
        x += push_x * step
        y += push_y * step
        temperature -= cooling
    return [(float(a), float(b)) for a, b in zip(x, y)]

