"""Portfolio concentration and related-party groups. Pure.

Concentration is measured on net exposure: the top-10 share (the ten largest over the total)
and the Herfindahl–Hirschman index Σ sᵢ² of the shares sᵢ, between 1/n (evenly spread) and 1
(one customer holds everything); multiply by 10,000 for the points banks quote.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Concentration:
    total: int
    top_share: float
    herfindahl: float
    top: tuple[tuple[int, int], ...]
    """The ``n`` largest (key, amount), largest first; ties by key."""


def concentration(amounts: Mapping[int, int], *, top_n: int = 10) -> Concentration:
    positive = {key: amount for key, amount in amounts.items() if amount > 0}
    total = sum(positive.values())
    ranked = sorted(positive.items(), key=lambda item: (-item[1], item[0]))
    top = tuple(ranked[:top_n])
    if total == 0:
        return Concentration(total=0, top_share=0.0, herfindahl=0.0, top=top)
    top_share = sum(amount for _, amount in top) / total
    herfindahl = sum((amount / total) ** 2 for amount in positive.values())
    return Concentration(total=total, top_share=top_share, herfindahl=herfindahl, top=top)


def connected_groups(edges: Iterable[tuple[int, int]]) -> dict[int, int]:
    """Each customer named by an edge → its group's key (the group's smallest customer id).
    Links are undirected: a parent, a subsidiary and a guarantor of either form one group."""
    parent: dict[int, int] = {}

    def root(node: int) -> int:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for left, right in edges:
        a, b = root(left), root(right)
        if a != b:
            parent[max(a, b)] = min(a, b)
    return {node: root(node) for node in parent}


def component_of(start: int, neighbours: Mapping[int, Sequence[int]]) -> set[int]:
    """Every customer reachable from ``start`` over the links in ``neighbours``."""
    seen = {start}
    frontier = [start]
    while frontier:
        node = frontier.pop()
        for other in neighbours.get(node, ()):
            if other not in seen:
                seen.add(other)
                frontier.append(other)
    return seen
