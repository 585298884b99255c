"""The journeys people make, in a real browser: report → queue → take → ask → answer → resolve →
confirm; two agents editing at once; a requester guessing another's ticket URL."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from itsm.cmdb.models import Service
from itsm.tickets.models import Ticket

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_incident_from_portal_report_to_confirmed_closure(
    live_server: Any, login: Callable[..., Any], requester: Any, agent: Any, service_desk: Any
) -> None:
    Service.objects.create(name="E-mail")

    # The requester reports an issue in plain language.
    portal = login(requester)
    expect(portal).to_have_url(re.compile(r"/portal/$"))
    portal.get_by_role("link", name="Report an issue").first.click()
    portal.get_by_label("What is wrong?").fill("Outlook cannot send mail")
    portal.get_by_label("Tell us more").fill("Every message stays in the outbox since 9:00.")
    portal.get_by_label("Which service is affected?").select_option(label="E-mail")
    portal.get_by_label("I cannot work at all").check()
    portal.get_by_role("button", name="Send").click()
    number = portal.get_by_test_id("ticket-number").inner_text()
    assert re.fullmatch(r"INC\d+", number)
    expect(portal.get_by_text("What happens next")).to_be_visible()

    # It lands in the Service Desk's queue, unassigned; the agent takes it.
    desk = login(agent)
    desk.goto(f"{live_server.url}/queues/?group={service_desk.pk}&assignee=none&state=open")
    desk.get_by_role("link", name=number).click()
    expect(desk.locator("#ticket-header")).to_contain_text("New")
    desk.get_by_role("button", name="Assign to me").click()
    expect(desk.locator("#ticket-header")).to_contain_text("Assigned")

    # The agent asks a question: Pending User, with the question as the reason.
    desk.locator("summary", has_text="Ask the requester").click()
    desk.get_by_label("Reason").fill("Which Outlook version do you use?")
    desk.get_by_role("button", name="Ask the requester").click()
    expect(desk.locator("#ticket-header")).to_contain_text("Pending User")

    # The requester sees the question and answers in the portal: back to In Progress.
    portal.goto(f"{live_server.url}/portal/tickets/{number}/")
    expect(portal.get_by_role("status")).to_contain_text("Which Outlook version do you use?")
    portal.get_by_label("Your reply").fill("Outlook 2021 on Windows 11.")
    portal.get_by_role("button", name="Send reply").click()
    expect(portal.get_by_test_id("state")).to_have_text("In Progress")

    # The agent resolves with a resolution code and notes.
    desk.reload()
    expect(desk.locator("#ticket-header")).to_contain_text("In Progress")
    expect(desk.locator("#ticket-timeline")).to_contain_text("Outlook 2021 on Windows 11.")
    desk.locator("summary", has_text="Resolve").click()
    desk.get_by_label("Resolution code").select_option("workaround")
    desk.get_by_label("Resolution notes").fill("Cleared the stuck item from the outbox.")
    desk.get_by_role("button", name="Resolve").click()
    expect(desk.locator("#ticket-header")).to_contain_text("Resolved")

    # The requester confirms the fix: Closed.
    portal.reload()
    portal.get_by_role("button", name="It's fixed, close it").click()
    expect(portal.get_by_test_id("state")).to_have_text("Closed")
    assert Ticket.objects.get(number=number).state == "closed"


def test_second_agent_sees_who_changed_what_and_keeps_input(
    live_server: Any,
    login: Callable[..., Any],
    requester: Any,
    agent: Any,
    manager: Any,
    create_ticket: Any,
) -> None:
    ticket = create_ticket(requester=requester, title="VPN drops every hour")
    url = f"{live_server.url}/tickets/{ticket.number}/"
    first, second = login(agent), login(manager)
    for page in (first, second):
        page.goto(url)
        page.keyboard.press("e")
        expect(page.get_by_label("Title")).to_be_visible()

    first.get_by_label("Title").fill("VPN drops every hour for the Lyon office")
    first.get_by_role("button", name="Save").click()
    expect(first.locator("#ticket-header h1")).to_contain_text("Lyon office")

    second.get_by_label("Title").fill("VPN disconnects hourly")
    second.get_by_role("button", name="Save").click()
    conflict = second.locator(".alert-conflict")
    expect(conflict).to_contain_text("Alice Agent")
    expect(conflict).to_contain_text(
        "Title: VPN drops every hour → VPN drops every hour for the Lyon office"
    )
    expect(second.get_by_label("Title")).to_have_value("VPN disconnects hourly")

    # Saving again applies the kept input on top of the other agent's change.
    second.get_by_role("button", name="Save").click()
    expect(second.locator("#ticket-header h1")).to_contain_text("VPN disconnects hourly")


def test_requester_cannot_open_other_tickets_or_agent_pages(
    live_server: Any,
    login: Callable[..., Any],
    requester: Any,
    other_requester: Any,
    create_ticket: Any,
) -> None:
    theirs = create_ticket(requester=other_requester, title="Oscar's laptop")
    page = login(requester)
    for path in (f"/portal/tickets/{theirs.number}/", f"/tickets/{theirs.number}/", "/queues/"):
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None
        assert response.status == 404, path
        expect(page.get_by_text("Oscar's laptop")).to_have_count(0)


def test_keyboard_shortcuts_and_overlay(
    live_server: Any, login: Callable[..., Any], requester: Any, agent: Any, create_ticket: Any
) -> None:
    for n in range(3):
        create_ticket(requester=requester, title=f"Keyboard ticket {n}")
    page = login(agent)
    page.goto(f"{live_server.url}/queues/")
    page.keyboard.press("?")
    expect(page.get_by_role("dialog")).to_be_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(page.locator("tr.is-current")).to_have_count(1)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/tickets/INC\d+/$"))
    page.keyboard.press("r")
    expect(page.locator("[data-shortcut=reply]")).to_be_focused()
    page.keyboard.press("Escape")
    page.keyboard.press("/")
    expect(page.locator("#quicksearch")).to_be_focused()


def test_manager_dashboard_draws_its_charts_under_the_strict_policy(
    login: Callable[..., Any], live_server: Any, manager: Any, requester: Any, create_ticket: Any
) -> None:
    from itsm.incidents.actions import do_resolve_incident

    create_ticket(requester=requester, impact="high", urgency="medium")
    resolved = create_ticket(requester=requester, impact="low", urgency="low")
    do_resolve_incident(
        resolved,
        resolution_code="workaround",
        resolution_notes="Reseated the cable.",
        actor=manager,
    )
    page = login(manager)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    page.goto(f"{live_server.url}/dashboard/")

    page.locator("#charts .chart .main-svg").first.wait_for()
    assert page.locator("#charts .chart").count() == 2
    expect(page.get_by_role("heading", name="Backlog by group and priority")).to_be_visible()
    assert problems == []
