"""Search finds tickets by number or by the words of their title and description."""

from __future__ import annotations

import pytest

from itsm.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def _found(text: str) -> set[str]:
    return set(Ticket.objects.search(text).values_list("title", flat=True))


def test_every_word_must_match_title_or_description(create_ticket, requester):
    create_ticket(requester=requester, title="Printer on 3rd floor jams", description="Tray 2")
    create_ticket(requester=requester, title="VPN drops", description="The printer is fine")
    create_ticket(requester=requester, title="Outlook asks for password", description="")

    assert _found("printer jam") == {"Printer on 3rd floor jams"}
    assert _found("PRINTER") == {"Printer on 3rd floor jams", "VPN drops"}
    assert _found("tray") == {"Printer on 3rd floor jams"}
    assert _found("password!!") == {"Outlook asks for password"}
    assert _found("scanner") == set()


def test_number_finds_its_ticket(create_ticket, requester):
    ticket = create_ticket(requester=requester, title="Monitor flickers")
    assert _found(ticket.number.lower()) == {"Monitor flickers"}


def test_punctuation_alone_finds_nothing_and_breaks_nothing(create_ticket, requester):
    create_ticket(requester=requester, title="Monitor flickers")
    assert _found("&|!:*'") == set()
    assert _found("   ") == {"Monitor flickers"}
