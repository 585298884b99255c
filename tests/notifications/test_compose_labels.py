"""Mails show the same state and priority labels as ``get_<field>_display()``, in the active
language, though the labels are kept per language."""

from __future__ import annotations

import pytest
from django.utils import translation

from itsm.notifications.compose import _display
from itsm.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_labels_match_get_display(create_ticket, requester):
    ticket = create_ticket(requester=requester)
    for state in ("new", "assigned", "resolved", "no_such_state"):
        ticket.state = state
        assert _display(ticket, "state", translation.get_language()) == ticket.get_state_display()
    for priority in ("P1", "P3", "P5"):
        ticket.priority = priority
        assert (
            _display(ticket, "priority", translation.get_language())
            == ticket.get_priority_display()
        )


def test_labels_follow_the_active_language(create_ticket, requester):
    ticket: Ticket = create_ticket(requester=requester)
    for language in ("en", "de", "fr"):
        with translation.override(language):
            assert _display(ticket, "state", language) == ticket.get_state_display()
