"""The visibility layer decides who sees which ticket and which journal lines."""

from __future__ import annotations

import pytest

from itsm.core.errors import NotFound
from itsm.taxonomy.models import Category
from itsm.tickets.models import JournalEntry, Ticket
from itsm.tickets.querysets import access_ticket_by_number
from itsm.workflow.actions import do_add_comment

pytestmark = pytest.mark.django_db


def test_requester_sees_only_own_tickets(create_ticket, requester, other_requester):
    mine = create_ticket(requester=requester)
    theirs = create_ticket(requester=other_requester)

    visible = set(Ticket.objects.visible_to(requester).values_list("number", flat=True))

    assert visible == {mine.number}
    with pytest.raises(NotFound):
        access_ticket_by_number(requester, theirs.number)


def test_agent_sees_all_but_restricted_categories(
    create_ticket, requester, agent, other_team_agent, other_team
):
    hr = Category.objects.create(name="HR case")
    child = Category.objects.create(name="Payroll", parent=hr)
    hr.restricted_to_groups.add(other_team)
    open_ticket = create_ticket(requester=requester)
    secret = create_ticket(requester=requester, category=child)

    agent_sees = set(Ticket.objects.visible_to(agent).values_list("number", flat=True))
    member_sees = set(Ticket.objects.visible_to(other_team_agent).values_list("number", flat=True))

    assert agent_sees == {open_ticket.number}
    assert member_sees == {open_ticket.number, secret.number}


def test_work_notes_never_reach_the_requester(create_ticket, requester, agent):
    ticket = create_ticket(requester=requester)
    do_add_comment(ticket, body="Looking into it", internal=False, actor=agent)
    do_add_comment(ticket, body="Password is hunter2", internal=True, actor=agent)

    requester_bodies = [e.body for e in JournalEntry.objects.for_ticket(ticket, requester)]
    agent_bodies = [e.body for e in JournalEntry.objects.for_ticket(ticket, agent)]

    assert "Looking into it" in requester_bodies
    assert "Password is hunter2" not in requester_bodies
    assert "Password is hunter2" in agent_bodies


def test_organisation_manager_sees_the_organisation(
    create_ticket, requester, organization, other_requester
):
    ticket = create_ticket(requester=requester)
    organization.manager = other_requester
    organization.save()

    assert access_ticket_by_number(other_requester, ticket.number).pk == ticket.pk


def test_single_ticket_check_agrees_with_the_queryset(
    create_ticket, requester, other_requester, agent, other_team_agent, other_team, admin_user
):
    from itsm.tickets.models import Watcher
    from itsm.tickets.querysets import user_can_see_ticket

    hr = Category.objects.create(name="HR case")
    hr.restricted_to_groups.add(other_team)
    plain = create_ticket(requester=requester)
    secret = create_ticket(requester=requester, category=hr)
    watched = create_ticket(requester=requester)
    Watcher.objects.create(ticket=watched, user=other_requester)

    for user in (requester, other_requester, agent, other_team_agent, admin_user):
        for ticket in (plain, secret, watched):
            expected = Ticket.objects.visible_to(user).filter(pk=ticket.pk).exists()
            assert user_can_see_ticket(user, ticket) is expected, (user, ticket.number)
