"""The people of a batch of tickets, read once for the batch.

``select_related`` builds a requester, an assignee, a group and its manager for every ticket
row, and ``prefetch_related`` compiles a lookup per relation; a sweep's batch of 200 tickets
names a few dozen agents, a handful of groups and the requesters. Here each person and group is
read once, in two queries, and shared by the tickets that name them.
"""

from __future__ import annotations

from collections.abc import Sequence

from itsm.accounts.models import Group, User
from itsm.tickets.models import Ticket


def attach_people(tickets: Sequence[Ticket]) -> None:
    """Give each ticket its requester, assignee and assignment group (with the group's manager
    and escalation parent) as loaded objects, shared between tickets."""
    if not tickets:
        return
    group_ids = {t.assignment_group_id for t in tickets} - {None}
    groups = {
        g.pk: g
        for g in Group.objects.select_related("escalation_parent").filter(pk__any=list(group_ids))
    }
    user_ids = {t.requester_id for t in tickets} | {t.assignee_id for t in tickets}
    user_ids |= {g.manager_id for g in groups.values()}
    user_ids.discard(None)
    users = {u.pk: u for u in User.objects.filter(pk__any=list(user_ids))}
    for group in groups.values():
        group.manager = users.get(group.manager_id) if group.manager_id else None
    for ticket in tickets:
        ticket.requester = users[ticket.requester_id]
        ticket.assignee = users.get(ticket.assignee_id) if ticket.assignee_id else None
        ticket.assignment_group = (
            groups.get(ticket.assignment_group_id) if ticket.assignment_group_id else None
        )
