"""Mails are written once per audience and shared; visibility stays a per-person decision.

An audience is what a mail's text depends on: whether the person sees internal details, is the
assignee, is the requester. These tests check that people of one audience share one text, that
different audiences still get different texts, and that nobody receives what they may not see.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from itsm.accounts.actions import do_create_user
from itsm.accounts.choices import Role
from itsm.accounts.models import Group, User
from itsm.notifications.compose import compose, compose_many
from itsm.notifications.models import OutboxMessage
from itsm.taxonomy.models import Category
from itsm.tickets.actions import do_add_watcher
from itsm.tickets.models import JournalEntry, Ticket
from itsm.workflow.actions import do_add_comment, do_assign_ticket, do_transition_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk_members(service_desk: Group, agent: User) -> list[User]:
    members = [agent]
    for n in range(3):
        user = do_create_user(
            email=f"desk{n}@example.test", full_name=f"Desk Agent {n}", role=Role.AGENT
        )
        service_desk.members.add(user)
        members.append(user)
    return members


def _each_alone(ticket: Ticket, event: str, people: list[Any], **kwargs: Any) -> list[Any]:
    mails = [compose(ticket, event, person, **kwargs) for person in people]
    return [mail for mail in mails if mail is not None]


def test_a_group_shares_one_text_and_each_mail_is_what_composing_alone_gives(
    create_ticket: Callable[..., Ticket], requester: User, desk_members: list[User]
) -> None:
    ticket = create_ticket(requester=requester)
    entry = do_add_comment(ticket, body="Which floor?", internal=False, actor=desk_members[0])
    people = [requester, *desk_members]

    mails = compose_many(ticket, "comment", people, actor=desk_members[0], entry=entry)

    assert mails == _each_alone(ticket, "comment", people, actor=desk_members[0], entry=entry)
    agent_texts = {mail.body for mail in mails[1:]}
    assert len(agent_texts) == 1
    assert mails[0].body not in agent_texts
    message_ids = [mail.headers["Message-ID"] for mail in mails]
    assert len(set(message_ids)) == len(people)


def test_requester_and_agents_read_different_texts(
    create_ticket: Callable[..., Ticket], requester: User, desk_members: list[User]
) -> None:
    ticket = create_ticket(requester=requester)
    entry = do_add_comment(ticket, body="Which floor?", internal=False, actor=desk_members[0])

    to_requester, to_agent = compose_many(
        ticket, "comment", [requester, desk_members[1]], actor=desk_members[0], entry=entry
    )

    assert "/portal/tickets/" in to_requester.body
    assert "Assignment group:" not in to_requester.body
    assert f"/tickets/{ticket.number}/" in to_agent.body
    assert "/portal/" not in to_agent.body
    assert "Assignment group: Service Desk" in to_agent.body


def test_the_assignee_and_the_rest_of_the_group_read_different_headlines(
    create_ticket: Callable[..., Ticket], requester: User, desk_members: list[User]
) -> None:
    ticket = create_ticket(requester=requester)
    assignee = desk_members[2]
    do_assign_ticket(ticket, group=None, assignee=assignee, actor=desk_members[0])
    ticket.refresh_from_db()
    entry = JournalEntry.objects.filter(ticket=ticket, field="assignee").latest("id")

    mails = compose_many(ticket, "assigned", desk_members, actor=None, entry=entry)

    headlines = {mail.recipient: mail.body.splitlines()[0] for mail in mails}
    assert headlines[assignee] == f"{ticket.number} has been assigned to you."
    assert headlines[desk_members[1]] == (
        f"{ticket.number} has been assigned to your group Service Desk."
    )
    assert mails == _each_alone(ticket, "assigned", desk_members, actor=None, entry=entry)


def test_only_the_requester_reads_the_confirm_and_reopen_links(
    create_ticket: Callable[..., Ticket],
    requester: User,
    other_requester: User,
    desk_members: list[User],
) -> None:
    ticket = create_ticket(requester=requester)
    actor = desk_members[0]
    do_assign_ticket(ticket, group=None, assignee=actor, actor=actor)
    do_add_watcher(ticket, user=other_requester, actor=actor)
    ticket = do_transition_ticket(
        ticket,
        "resolved",
        actor=actor,
        resolution_code="workaround",
        resolution_notes="Paper tray replaced.",
    )

    rows = {row.recipient: row for row in OutboxMessage.objects.filter(event="state_changed")}

    assert "Confirm the resolution" in rows[requester].body
    assert "Confirm the resolution" not in rows[other_requester].body
    assert "Paper tray replaced." in rows[other_requester].body


def test_work_notes_never_reach_requesters(
    create_ticket: Callable[..., Ticket],
    requester: User,
    other_requester: User,
    desk_members: list[User],
) -> None:
    ticket = create_ticket(requester=requester)
    do_add_watcher(ticket, user=other_requester, actor=desk_members[0])
    do_add_watcher(ticket, user=desk_members[3], actor=desk_members[0])
    OutboxMessage.objects.all().delete()

    note = do_add_comment(
        ticket, body="Root password is hunter2", internal=True, actor=desk_members[0]
    )

    recipients = set(OutboxMessage.objects.values_list("recipient", flat=True))
    assert recipients == {member.pk for member in desk_members[1:]}
    assert (
        compose_many(
            ticket, "work_note", [requester, other_requester], actor=desk_members[0], entry=note
        )
        == []
    )


def test_visibility_is_decided_per_person_within_one_audience(
    create_ticket: Callable[..., Ticket],
    requester: User,
    desk_members: list[User],
    other_team_agent: User,
    other_team: Group,
) -> None:
    restricted = Category.objects.create(name="HR cases")
    restricted.restricted_to_groups.add(other_team)
    ticket = create_ticket(requester=requester, category=restricted)
    entry = do_add_comment(ticket, body="Update", internal=False, actor=requester)

    mails = compose_many(
        ticket, "comment", [desk_members[1], other_team_agent], actor=requester, entry=entry
    )

    assert [mail.recipient for mail in mails] == [other_team_agent]
