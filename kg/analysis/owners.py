"""``kg owners``: who owns an organization, directly and through chains of holdings (look-through ownership).

A *holding* is an Ownership claim in force, or an Investment in force that gives
the stake it bought (an exact stake or share bounds); Control claims are about
control, not about an economic share, and are not read, whatever share they give.
Claims are read as the conflict rules read them (``kg.derive.claim_states``:
as-of date, minimum status, minimum deal stage; terminated deals never count).

- Several claims on one owner and asset are one holding, not several: the share
  is read from one claim, a claim that gives a share before one that gives none,
  then the strongest status, then the narrowest range, then the smallest IRI.
- A share is a range of percentages [low, high]: an exact share or stake is
  [x, x]; a minimum or exclusive minimum is the low end, a maximum or exclusive
  maximum the high end (an exclusive bound is read as its limit: ">25%" is
  25–100%); a missing end is 0 or 100, so a holding without a share is 0–100%.
- A chain's share is the product of its holdings' shares (lows times lows,
  highs times highs); an owner's effective share is the sum over its distinct
  chains, each a path that visits no agent twice, clipped to 100%.
- A holding that leads back to the organization, or to an agent already on the
  chain, closes a cycle: it is reported and not followed round. For shares that
  add up to at most 100% per company, the sum over such chains never passes
  100% (it is the chance that a walk up the holdings, stopped where it would
  revisit an agent, reaches the owner). Where the data's shares add up to more,
  a sum may pass 100%: it is clipped, and the owner says so when even its low
  end passed.
- An ultimate owner is one that no holding in force has an owner of.

Exact shares stay exact: decimals, never floats (60% of 51% is 30.6%).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, localcontext

from rdflib import URIRef

from kg.analysis.describe import resolve_in
from kg.backends.open import as_backend
from kg.claims import decimal_value
from kg.conflicts.model import EntityRef, SourceRef, claim_sources
from kg.derive import Reading, claim_states
from kg.entities import local_name, short_id
from kg.errors import UsageError, arg
from kg.identity import Identity
from kg.vocab import KG, SHARE_KEYS, status_rank

#: The claims that are holdings (an Investment only when it gives its stake).
HOLDING_CLASSES = (KG.Ownership, KG.Investment)
#: How many chains ``owners_of`` follows before it stops rather than give part of the answer.
DEFAULT_MAX_CHAINS = 10_000
_HUNDRED = Decimal(100)


def _number(value: Decimal) -> str:
    """A percentage as people write it: 30.6, 25, 0.0625 (no exponent, no trailing zeros); past four
    decimals, rounded and marked (≈0.0123), since a long chain's product can have dozens."""
    rounded = value.quantize(Decimal("0.0001"))
    return format(value.normalize(), "f") if rounded == value else "≈" + format(rounded.normalize(), "f")


def _json_number(value: Decimal) -> int | float:
    """A percentage as JSON writes a number: 25, 30.6 (never "25.0" or a string)."""
    return int(value) if value == value.to_integral_value() else float(value)


@dataclass(frozen=True)
class Share:
    """A percentage known to lie between ``low`` and ``high`` (equal when it is exact)."""

    low: Decimal
    high: Decimal

    @property
    def exact(self) -> Decimal | None:
        return self.low if self.low == self.high else None

    def times(self, other: "Share") -> "Share":
        """This share of a holding that is ``other`` of the next company down."""
        return Share(self.low * other.low / _HUNDRED, self.high * other.high / _HUNDRED)

    def __str__(self) -> str:
        if self.exact is not None:
            return f"{_number(self.low)}%"
        return f"{_number(self.low)}–{_number(self.high)}%"

    def to_dict(self) -> dict:
        exact = self.exact
        return {"low": _json_number(self.low), "high": _json_number(self.high), "exact": None if exact is None else _json_number(exact)}


@dataclass(frozen=True)
class Holding:
    """One holding in force: ``owner`` holds ``share`` of ``asset``, as ``claim`` says."""

    owner: EntityRef
    asset: EntityRef
    share: Share
    given: str  # the share as the data gives it: "60%", "25–50%", ">25%", or "share not given"
    claim: str  # IRI of the claim the share is read from
    type: str  # Ownership or Investment
    status: str
    sources: tuple[SourceRef, ...]
    other_claims: tuple[str, ...] = ()  # further claims in force on the same owner and asset


@dataclass(frozen=True)
class Chain:
    """Holdings from an owner down to the organization, each asset the next holding's owner."""

    holdings: tuple[Holding, ...]
    share: Share

    def __str__(self) -> str:
        steps = [self.holdings[0].owner.label] + [f"{h.asset.label} ({h.given})" for h in self.holdings]
        return " → ".join(steps)


@dataclass(frozen=True)
class Owner:
    entity: EntityRef
    share: Share  # summed over the chains, clipped to 100%
    direct: bool  # holds part of the organization itself
    indirect: bool  # holds part of it through other agents
    ultimate: bool  # no holding in force has an owner of it
    chains: tuple[Chain, ...]
    #: The sum's low end passed 100%: the data's shares of one company add up to more than 100%.
    clipped: bool = False


@dataclass(frozen=True)
class OwnersReport:
    """What ``owners_of`` answers, and the reading it answers for."""

    org: EntityRef
    as_of: str
    min_status: str
    min_stage: str
    min_share: Decimal | None
    owners: tuple[Owner, ...]
    #: Loops of holdings met on the way up, each agent holding part of the next and the last of the first.
    cycles: tuple[tuple[EntityRef, ...], ...]

    def to_dict(self) -> dict:
        def entity(ref: EntityRef) -> dict:
            return {"id": ref.id, "iri": ref.iri, "label": ref.label}

        def holding(h: Holding) -> dict:
            return {
                "owner": entity(h.owner), "asset": entity(h.asset), "share": {**h.share.to_dict(), "given": h.given},
                "claim": h.claim, "type": h.type, "status": h.status,
                "sources": [{"iri": s.iri, "title": s.title, "url": s.url} for s in h.sources], "other_claims": list(h.other_claims),
            }

        return {
            "org": entity(self.org),
            "as_of": self.as_of,
            "min_status": self.min_status,
            "min_stage": self.min_stage,
            "min_share": None if self.min_share is None else _json_number(self.min_share),
            "owners": [
                {
                    **entity(owner.entity), "share": owner.share.to_dict(), "direct": owner.direct, "indirect": owner.indirect,
                    "ultimate": owner.ultimate, "clipped": owner.clipped,
                    "chains": [{"share": c.share.to_dict(), "holdings": [holding(h) for h in c.holdings]} for c in owner.chains],
                }
                for owner in self.owners
            ],
            "cycles": [[entity(agent) for agent in cycle] for cycle in self.cycles],
        }


def check_min_share(value) -> Decimal | None:
    """The smallest effective share to report, a percentage from 0 to 100 (None: every owner)."""
    if value is None:
        return None
    try:
        share = Decimal(str(value).strip().rstrip("%"))
    except InvalidOperation:
        share = None
    if share is None or not share.is_finite() or not 0 <= share <= 100:
        raise UsageError(f"invalid {arg('min_share')} {value!r}; expected a percentage from 0 to 100")
    return share


def owners_of(
    backend, org: str, *, as_of=None, min_status=None, min_stage=None, min_share=None, max_chains: int = DEFAULT_MAX_CHAINS
) -> OwnersReport:
    """Who owns ``org`` (an id, prefixed name, IRI or exact label), directly and indirectly, with the
    effective share of each owner, its chains and the cycles met (see the module's docstring).

    ``min_share`` drops owners whose effective share cannot reach it (its high end is below it), so an
    owner whose share is unknown is always kept. More than ``max_chains`` chains is an error, not
    part of an answer.
    """
    backend = as_backend(backend)
    reading = Reading.of(as_of, min_status, min_stage)
    minimum = check_min_share(min_share)
    if max_chains < 1:
        raise UsageError(f"invalid {arg('max_chains')} {max_chains!r}; expected a number of chains from 1")
    identity = Identity.of(backend)  # agents that share an identifier are one owner, one company
    target = identity(resolve_in(backend, org))
    links = _links(backend, target, reading, identity)
    with localcontext() as context:
        context.prec = 100  # products of many shares stay exact
        chains, cycles = _walk(links, target, max_chains, lambda: _too_many(backend, target, max_chains))
        has_owner = {link.asset for found in links.values() for link in found if link.owner != link.asset}
        totals = _totals(chains)
    named = {target} | {node for chain in chains for link in chain for node in (link.owner, link.asset)}
    named |= {node for cycle in cycles for node in cycle}
    details = _Details(backend, named, {link.state.iri for chain in chains for link in chain}, reading.min_status)
    owners = []
    for owner, (share, clipped, owner_chains) in totals.items():
        if minimum is not None and share.high < minimum:
            continue
        owners.append(
            Owner(
                entity=details.entity(owner),
                share=share,
                direct=any(len(links) == 1 for links, _ in owner_chains),
                indirect=any(len(links) > 1 for links, _ in owner_chains),
                ultimate=owner not in has_owner,
                chains=tuple(
                    sorted(
                        (details.chain(chain) for chain in owner_chains),
                        key=lambda c: (-c.share.low, -c.share.high, [h.asset.iri for h in c.holdings]),
                    )
                ),
                clipped=clipped,
            )
        )
    owners.sort(key=lambda o: (-o.share.low, -o.share.high, o.entity.label, o.entity.iri))
    return OwnersReport(
        org=details.entity(target),
        as_of=str(reading.as_of),
        min_status=reading.min_status,
        min_stage=reading.min_stage,
        min_share=minimum,
        owners=tuple(owners),
        cycles=tuple(tuple(details.entity(agent) for agent in cycle) for cycle in sorted(cycles, key=lambda c: [str(a) for a in c])),
    )


@dataclass(frozen=True)
class _Link:
    """A holding between two agents: the claim its share is read from, and the others on the pair."""

    owner: URIRef
    asset: URIRef
    share: Share
    given: str
    state: object  # the ClaimState the share is read from
    others: tuple[str, ...] = ()


def _links(backend, target: URIRef, reading: Reading, identity: Identity) -> dict[URIRef, list[_Link]]:
    """Asset -> its holdings in force, for the agents that hold part of ``target`` through any chain."""
    states = claim_states(
        backend, as_of=reading.as_of, min_status=reading.min_status, min_stage=reading.min_stage, classes=list(HOLDING_CLASSES),
        identity=identity,
    )
    candidates: dict[URIRef, list] = {}
    for state in states:
        if state.holds and state.subject is not None and state.object is not None:
            candidates.setdefault(state.object, []).append(state)
    # Only the holdings above the target matter: read the shares of those claims alone.
    above, queue = {target}, [target]
    while queue:
        for state in candidates.get(queue.pop(), ()):
            if state.subject not in above:
                above.add(state.subject)
                queue.append(state.subject)
    relevant = [state for asset in above for state in candidates.get(asset, ())]
    # An indirect interest whose chain of component claims is in the data (BODS's componentRecords) sums
    # up that chain: where every link of the chain is a holding the walk follows itself, counting the
    # summary too would count the same holding twice, so it is left out; else it is the only figure.
    holdings = {state.iri for state in states if state.holds}
    walked = {claim for claim, parts in _components(backend).items() if parts <= holdings}
    relevant = [state for state in relevant if state.iri not in walked]
    shares: dict[URIRef, dict[str, set[Decimal]]] = {}
    for claim, prop, value in backend.claim_shares(state.iri for state in relevant):
        if (number := decimal_value(value)) is not None:
            shares.setdefault(claim, {}).setdefault(SHARE_KEYS[prop], set()).add(number)
    pairs: dict[tuple[URIRef, URIRef], list] = {}
    for state in relevant:
        given = shares.get(state.iri, {})
        if state.cls == KG.Investment and not given:
            continue  # money put in, with no stake said to come of it
        pairs.setdefault((state.subject, state.object), []).append((state, given))
    links: dict[URIRef, list[_Link]] = {}
    for (owner, asset), claims in sorted(pairs.items(), key=lambda item: (str(item[0][1]), str(item[0][0]))):
        ranked = sorted(claims, key=lambda c: (not c[1], -status_rank(c[0].status), _width(c[1]), str(c[0].iri)))
        state, given = ranked[0]
        share, text = share_of(given)
        others = tuple(sorted(str(other.iri) for other, _ in ranked[1:]))
        links.setdefault(asset, []).append(_Link(owner, asset, share, text, state, others))
    return links


def _components(backend) -> dict[URIRef, set[URIRef]]:
    """Each claim that sums up a chain, with the claims of its chain (kg:componentOf)."""
    _, rows = backend.select(f"SELECT DISTINCT ?part ?claim WHERE {{ ?part <{KG.componentOf}> ?claim }}")
    found: dict[URIRef, set[URIRef]] = {}
    for part, claim in rows:
        found.setdefault(claim, set()).add(part)
    return found


def share_of(given: dict[str, set[Decimal]]) -> tuple[Share, str]:
    """A claim's share as a range, and in words, from its BODS keys (exact, minimum, ...) and values.

    Several bounds narrow each other (minimum 25 and exclusive minimum 30: from 30); values that
    contradict each other (two exact shares, say: ``kg validate`` reports them) give the range they
    span. Values are kept within 0–100.
    """
    def clamp(value: Decimal) -> Decimal:
        return min(max(value, Decimal(0)), _HUNDRED)

    lows = [clamp(v) for key in ("exact", "minimum", "exclusiveMinimum") for v in given.get(key, ())]
    highs = [clamp(v) for key in ("exact", "maximum", "exclusiveMaximum") for v in given.get(key, ())]
    low, high = max(lows, default=Decimal(0)), min(highs, default=_HUNDRED)
    if low > high:
        every = lows + highs
        low, high = min(every), max(every)
    share = Share(low, high)
    if not given:
        return share, "share not given"
    if share.exact is not None or (lows and highs):
        return share, str(share)
    if lows:
        return share, (">" if low in {clamp(v) for v in given.get("exclusiveMinimum", ())} else "≥") + f"{_number(low)}%"
    return share, ("<" if high in {clamp(v) for v in given.get("exclusiveMaximum", ())} else "≤") + f"{_number(high)}%"


def _width(given: dict[str, set[Decimal]]) -> Decimal:
    share, _ = share_of(given)
    return share.high - share.low


def _walk(links: dict[URIRef, list[_Link]], target: URIRef, max_chains: int, too_many):
    """Every chain of holdings up from ``target`` that visits no agent twice (each as links from the
    target upwards), and the cycles met: the loops a holding would close, each from its smallest IRI."""
    chains: list[tuple[_Link, ...]] = []
    cycles: set[tuple[URIRef, ...]] = set()
    stack: list[tuple[tuple[URIRef, ...], tuple[_Link, ...]]] = [((target,), ())]
    while stack:
        agents, path = stack.pop()
        for link in links.get(agents[-1], ()):
            if link.owner in agents:
                loop = (link.owner, *reversed(agents[agents.index(link.owner) + 1 :]))
                first = min(range(len(loop)), key=lambda i: str(loop[i]))
                cycles.add(loop[first:] + loop[:first])
                continue
            chain = path + (link,)
            chains.append(chain)
            if len(chains) > max_chains:
                too_many()
            stack.append(((*agents, link.owner), chain))
    return chains, cycles


def _too_many(backend, target: URIRef, max_chains: int):
    label = backend.labels([target]).get(target, short_id(target))
    raise UsageError(
        f"more than {max_chains} chains of holdings lead up to {label}; "
        f"raise {arg('max_chains')} to follow them all (no part of the answer is given)"
    )


def _totals(chains) -> dict[URIRef, tuple[Share, bool, list]]:
    """Owner -> (effective share, whether its low end was clipped to 100%, its chains from the owner down)."""
    sums: dict[URIRef, list] = {}
    for chain in chains:
        down = chain[::-1]
        share = Share(_HUNDRED, _HUNDRED)
        for link in down:
            share = share.times(link.share)
        entry = sums.setdefault(down[0].owner, [Decimal(0), Decimal(0), []])
        entry[0] += share.low
        entry[1] += share.high
        entry[2].append((down, share))
    return {
        owner: (Share(min(low, _HUNDRED), min(high, _HUNDRED)), low > _HUNDRED, found)
        for owner, (low, high, found) in sums.items()
    }


class _Details:
    """Labels of the agents and sources of the claims a report names, fetched once."""

    def __init__(self, backend, nodes, claims, min_status: str) -> None:
        self.labels = backend.labels(nodes)
        self.sources = claim_sources(backend, claims, min_status)

    def entity(self, node: URIRef) -> EntityRef:
        return EntityRef(id=short_id(node), iri=str(node), label=self.labels.get(node, short_id(node)))

    def chain(self, found) -> Chain:
        links, share = found
        return Chain(tuple(self.holding(link) for link in links), share)

    def holding(self, link: _Link) -> Holding:
        state = link.state
        return Holding(
            owner=self.entity(link.owner),
            asset=self.entity(link.asset),
            share=link.share,
            given=link.given,
            claim=str(state.iri),
            type=local_name(state.cls),
            status=state.status,
            sources=tuple(sorted(self.sources.get(state.iri, ()), key=lambda s: (s.iri, s.title or ""))),
            other_claims=link.others,
        )
