"""One palette for every picture kg draws: the kinds of agents, the severities of findings, the claim types.

The interactive graph and the plots take their colours from here, so a
high-severity finding or an AI lab looks the same in both.
"""

from __future__ import annotations

from dataclasses import dataclass

from kg.vocab import KG

@dataclass(frozen=True)
class Kind:
    """How one kind of agent is drawn: the legend shows the same shape and colour."""

    key: str
    label: str
    classes: tuple[str, ...]  # kg class local names, any of which makes an agent this kind
    shape: str  # vis-network shape with the label below it
    color: str
    glyph: str  # the legend's symbol for the shape


#: First match wins, so an AI lab that also invests is drawn as an AI lab.
KINDS = (
    Kind("person", "Person", ("Person",), "dot", "#f4a261", "●"),
    Kind("ai-lab", "AI lab", ("AILab",), "hexagon", "#8e6cef", "⬢"),
    Kind("chip-maker", "Chip maker", ("ChipMaker",), "diamond", "#e0b000", "◆"),
    Kind("cloud", "Cloud / compute provider", ("CloudProvider", "ComputeProvider"), "square", "#2a9d8f", "■"),
    Kind("space", "Launch / satellite", ("LaunchProvider", "SatelliteOperator"), "star", "#3a86ff", "★"),
    Kind("telecom", "Telecom", ("TelecomCompany",), "triangleDown", "#b5838d", "▼"),
    Kind("energy", "Energy provider", ("EnergyProvider",), "triangleDown", "#fb8500", "▼"),
    Kind("investor", "Investor", ("Investor", "SovereignWealthFund"), "triangle", "#43aa8b", "▲"),
    Kind("organization", "Other organization", ("Organization", "Agent"), "dot", "#9aa5b1", "●"),
)
OTHER_KIND = KINDS[-1]
COLLAPSED_KIND = Kind("collapsed", "Collapsed leaves", (), "box", "#e9ecef", "▭")
KIND_BY_CLASS = {KG[name]: kind for kind in KINDS for name in kind.classes}

EDGE_COLOR = "#8d99ae"
#: Evidence edges take the colour and width of the most severe finding they support.
SEVERITY_COLORS = {"high": "#d62828", "medium": "#f77f00", "low": "#c9a227"}
SEVERITY_STYLE = {name: (color, width) for (name, color), width in zip(SEVERITY_COLORS.items(), (6, 4, 3))}
CONFLICT_COLOR = SEVERITY_STYLE["high"][0]
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITY_STYLE)}
#: One colour per claim type, kept the same in every picture.
CLAIM_COLORS = {
    "ComputeContract": "#2a9d8f",
    "Control": "#e76f51",
    "Investment": "#43aa8b",
    "Rivalry": "#8e6cef",
    "Founding": "#f4a261",
    "Affiliation": "#9aa5b1",
    "Departure": "#b5838d",
}
#: Colours for the suppliers of one lab, in the order they are drawn.
SUPPLIER_PALETTE = ("#2a9d8f", "#e9c46a", "#3a86ff", "#e76f51", "#8e6cef", "#43aa8b", "#b5838d", "#577590", "#f4a261", "#9aa5b1")
