"""Lifecycles declared as data: for each kind, which transitions exist, who may make them and what
they need. One mechanism (transitions.py) applies them; no other code decides whether a move is legal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from itsm.taxonomy.choices import TicketKind
from itsm.tickets.choices import TicketState as S

AGENT = "agent"
REQUESTER = "requester"
SYSTEM = "system"

REASON = "reason"
RESOLUTION = "resolution"

#: Guard names checked by the mechanism (see transitions.GUARDS).
WITHIN_REOPEN_WINDOW = "within_reopen_window"


@dataclass(frozen=True)
class Transition:
    """One legal move: from any of ``sources`` to ``target``, by ``actors``, needing ``requires``."""

    name: str
    sources: frozenset[str]
    target: str
    actors: frozenset[str] = frozenset({AGENT})
    requires: frozenset[str] = frozenset()
    guards: tuple[str, ...] = ()


@dataclass(frozen=True)
class Lifecycle:
    kind: str
    initial: str
    transitions: tuple[Transition, ...]
    #: States a public requester reply moves the ticket out of, and where to.
    requester_reply_moves: dict[str, str] = field(default_factory=dict)
    #: States that are final: nothing leaves them.
    final: frozenset[str] = frozenset()

    def states(self) -> list[str]:
        seen = [self.initial]
        for transition in self.transitions:
            for state in (*sorted(transition.sources), transition.target):
                if state not in seen:
                    seen.append(state)
        return seen


def _t(
    name: str,
    sources: set[str],
    target: str,
    actors: set[str] | None = None,
    requires: set[str] | None = None,
    guards: tuple[str, ...] = (),
) -> Transition:
    return Transition(
        name=name,
        sources=frozenset(sources),
        target=target,
        actors=frozenset(actors or {AGENT}),
        requires=frozenset(requires or ()),
        guards=guards,
    )


_WORKING = {S.ASSIGNED, S.IN_PROGRESS}
_SIDE = {S.PENDING_USER, S.WAITING_FOR_VENDOR, S.ON_HOLD}

INCIDENT_LIFECYCLE = Lifecycle(
    kind=TicketKind.INCIDENT,
    initial=S.NEW,
    transitions=(
        _t("assign", {S.NEW}, S.ASSIGNED, {AGENT, SYSTEM}),
        _t("start_work", {S.NEW, S.ASSIGNED, *_SIDE}, S.IN_PROGRESS, {AGENT, SYSTEM}),
        _t("ask_requester", {S.NEW, *_WORKING, *_SIDE}, S.PENDING_USER, requires={REASON}),
        _t("wait_for_vendor", {*_WORKING, *_SIDE}, S.WAITING_FOR_VENDOR, requires={REASON}),
        _t("put_on_hold", {*_WORKING, *_SIDE}, S.ON_HOLD, requires={REASON}),
        _t(
            "resolve",
            {S.NEW, *_WORKING, *_SIDE},
            S.RESOLVED,
            {AGENT, SYSTEM},
            requires={RESOLUTION},
        ),
        _t("cancel", {S.NEW, S.ASSIGNED}, S.CANCELLED, {AGENT, REQUESTER}, requires={REASON}),
        _t(
            "reopen",
            {S.RESOLVED},
            S.IN_PROGRESS,
            {AGENT, REQUESTER, SYSTEM},
            guards=(WITHIN_REOPEN_WINDOW,),
        ),
        _t("close", {S.RESOLVED}, S.CLOSED, {AGENT, REQUESTER, SYSTEM}),
    ),
    requester_reply_moves={S.PENDING_USER: S.IN_PROGRESS},
    final=frozenset({S.CLOSED, S.CANCELLED}),
)

LIFECYCLES: dict[str, Lifecycle] = {INCIDENT_LIFECYCLE.kind: INCIDENT_LIFECYCLE}


def lifecycle_for(kind: str) -> Lifecycle:
    """The kind's lifecycle. A kind whose practice has none yet (service requests, problems and
    changes that arrive by import) gets a still one: nothing moves it, but it can be read,
    commented on and assigned like any ticket."""
    found = LIFECYCLES.get(kind)
    if found is not None:
        return found
    return Lifecycle(
        kind=kind, initial=S.NEW, transitions=(), final=frozenset({S.CLOSED, S.CANCELLED})
    )
