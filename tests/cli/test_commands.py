"""The command line: demo data, API tokens."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from itsm.accounts.actions import authenticate_api_token
from itsm.accounts.models import ApiToken, Group, User
from itsm.cli.demo import DEMO_LOGINS, DEMO_PASSWORD
from itsm.tickets.models import JournalEntry, Ticket

pytestmark = pytest.mark.django_db


def test_demo_builds_a_service_desk_and_is_idempotent():
    call_command("demo", "--tickets", "18", stdout=StringIO())
    tickets, users, groups = Ticket.objects.count(), User.objects.count(), Group.objects.count()
    journal = JournalEntry.objects.count()

    call_command("demo", "--tickets", "18", stdout=StringIO())

    assert (Ticket.objects.count(), User.objects.count(), Group.objects.count()) == (
        tickets,
        users,
        groups,
    )
    assert JournalEntry.objects.count() == journal
    assert tickets == 18
    states = set(Ticket.objects.values_list("state", flat=True))
    assert {"new", "assigned", "in_progress", "pending_user", "resolved", "closed"} <= states
    for login in DEMO_LOGINS:
        assert User.objects.get(email=login.email).check_password(DEMO_PASSWORD)


def test_demo_if_empty_loads_nothing_when_tickets_exist(create_ticket, requester):
    create_ticket(requester=requester)
    out = StringIO()

    call_command("demo", "--if-empty", stdout=out)

    assert Ticket.objects.count() == 1
    assert "nothing loaded" in out.getvalue()


def test_token_create_prints_a_secret_that_authenticates(agent):
    out = StringIO()
    call_command(
        "token", "create", agent.email, "--name", "monitoring", stdout=out, stderr=StringIO()
    )
    secret = out.getvalue().strip()

    token = ApiToken.objects.get(user=agent)
    assert token.name == "monitoring"
    assert secret not in token.key_hash  # only the hash is stored
    assert authenticate_api_token(secret) == agent

    call_command("token", "revoke", str(token.pk), stdout=StringIO())
    assert authenticate_api_token(secret) is None


def test_token_create_for_unknown_email_fails_clearly():
    with pytest.raises(CommandError, match="No user with email"):
        call_command("token", "create", "nobody@example.test", "--name", "x")
