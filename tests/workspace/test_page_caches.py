"""What the queue and ticket pages cache stays exact: option lists, drawn timelines, markup."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django import forms
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from itsm.accounts.models import Group, User
from itsm.cmdb.models import Service
from itsm.sla.queries import Badge
from itsm.taxonomy.models import Category
from itsm.tickets.actions import (
    do_add_watcher,
    do_link_tickets,
    do_set_parent_ticket,
    store_attachment,
)
from itsm.tickets.choices import LinkType
from itsm.tickets.models import Ticket
from itsm.workflow.actions import do_add_comment, do_assign_ticket
from itsm.workspace.rows import SlaBadgeMarkup
from itsm.workspace.views.tickets import page_stamp, timeline_html
from itsm.workspace.widgets import OptionsSelect, PlainHiddenInput, PlainTextarea

pytestmark = pytest.mark.django_db


def _select(html: str, name: str) -> str:
    found = re.search(rf'<select name="{name}".*?</select>', html, re.S)
    assert found, name
    return found.group(0)


def _count(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_filter_options_follow_reference_data_at_once(
    client: Any, agent: User, service_desk: Group
) -> None:
    client.force_login(agent)
    page = client.get("/queues/").content.decode()
    assert service_desk.name in _select(page, "group")

    # Given the lists are cached, when the reference data changes (as the admin saves it),
    # then the next page shows the change.
    service_desk.name = "First-line <Support>"
    service_desk.save()
    parent = Category.objects.create(name="Network")
    Category.objects.create(name="Wi-Fi", parent=parent)
    service = Service.objects.create(name="Payroll")
    page = client.get("/queues/").content.decode()
    assert "First-line &lt;Support&gt;" in _select(page, "group")
    assert "First-line &lt;Support&gt;" in _select(page.split('id="bulk-form"')[1], "group")
    assert "Network &gt; Wi-Fi" in _select(page, "category")
    assert f'<option value="{service.pk}">Payroll</option>' in _select(page, "service")

    service.is_active = False
    service.save()
    parent.name = "Networking"
    parent.save()
    page = client.get("/queues/").content.decode()
    assert "Payroll" not in _select(page, "service")
    assert "Networking &gt; Wi-Fi" in _select(page, "category")

    agent.full_name = "Renamed Agent"
    agent.save()
    assert "Renamed Agent" in _select(client.get("/queues/").content.decode(), "assignee")


def test_filter_keeps_the_chosen_option_selected(
    client: Any, agent: User, service_desk: Group
) -> None:
    client.force_login(agent)
    page = client.get(f"/queues/?group={service_desk.pk}&assignee=none").content.decode()
    assert f'<option value="{service_desk.pk}" selected>' in _select(page, "group")
    assert '<option value="none" selected>' in _select(page, "assignee")
    assert client.get("/queues/?group=999999").status_code == 400


def test_queue_page_reads_a_fixed_small_number_of_rows(
    client: Any, agent: User, requester: User, create_ticket: Callable[..., Ticket]
) -> None:
    for n in range(60):
        create_ticket(requester=requester, title=f"Queue {n}")
    client.force_login(agent)
    url = "/queues/?kind=incident&state=open&sort=sla&assignee=none"
    client.get(url)
    # session, user, hidden categories, reference version, agents, tickets, SLA instances,
    # SLA definitions, saved views, the user's groups (share with)
    assert _count(client, url) <= 10, "queue"


def test_ticket_page_draws_its_timeline_once_per_journal_state(
    client: Any, agent: User, requester: User, create_ticket: Callable[..., Ticket]
) -> None:
    ticket = create_ticket(requester=requester)
    client.force_login(agent)
    url = f"/tickets/{ticket.number}/"
    drawn = _count(client, url)
    cached = _count(client, url)
    # the entries, their attachments and the SLA facts are not read again (the first page may
    # also have filled the per-process reference caches)
    assert cached <= drawn - 3
    # session, user, hidden categories, ticket, page stamp, reference stamp, SLA instances
    assert cached <= 7, cached

    # A new entry changes the key: it shows at once.
    do_add_comment(ticket, body="Swapped the <b>dock</b>", internal=True, actor=agent)
    page = client.get(url).content.decode()
    assert "Swapped the &lt;b&gt;dock&lt;/b&gt;" in page
    assert "<b>dock</b>" not in page


def test_a_requester_never_gets_a_work_note_from_the_agents_timeline(
    client: Any, agent: User, requester: User, create_ticket: Callable[..., Ticket]
) -> None:
    ticket = create_ticket(requester=requester)
    do_add_comment(ticket, body="Secret work note", internal=True, actor=agent)
    do_add_comment(ticket, body="Public answer", internal=False, actor=agent)
    client.force_login(agent)
    assert "Secret work note" in client.get(f"/tickets/{ticket.number}/").content.decode()

    # The agent's drawing is cached; the same journal state drawn for the requester is not it.
    stamp = page_stamp(ticket, agent)
    for_requester = timeline_html(ticket, requester, stamp)
    assert "Public answer" in for_requester
    assert "Secret work note" not in for_requester
    assert "Secret work note" in timeline_html(ticket, agent, stamp)

    client.force_login(requester)
    assert client.get(f"/tickets/{ticket.number}/").status_code == 404
    portal = client.get(f"/portal/tickets/{ticket.number}/").content.decode()
    assert "Public answer" in portal
    assert "Secret work note" not in portal


def _squash(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


def test_badge_markup_is_the_partials_markup() -> None:
    now = timezone.now()
    badges = [
        Badge(1, "Response <24x7>", "response", "risk", "45m left", now, None, "running"),
        Badge(
            1,
            "Resolution & more",
            "resolution",
            "breached",
            "breached 2h ago",
            None,
            now,
            "running",
        ),
        Badge(
            1,
            "OLA",
            "resolution",
            "paused",
            "paused, 3h left",
            now + timedelta(hours=3),
            None,
            "paused",
        ),
    ]
    markup = SlaBadgeMarkup()
    for sla, active in ((badges, True), (badges[1:], False), ([], True), ([], False)):
        expected = render_to_string(
            "workspace/partials/sla_badges.html",
            {"sla": sla, "ticket": {"is_active": active}},
        )
        assert markup.html(sla, is_active=active) == _squash(expected)


def test_plain_widgets_draw_what_djangos_draw() -> None:
    choices = [("", "Any"), ("1", 'A & "B"'), ("2", "<C>"), ("2", "again")]
    for value in ("", "2", None, "9"):
        mine = OptionsSelect(choices=choices).render("f", value, {"id": "id_f"})
        theirs = forms.Select(choices=choices).render("f", value, {"id": "id_f"})
        assert _squash(mine) == _squash(theirs)
    for value in (None, "", 3, 'x"<y>'):
        mine = PlainHiddenInput().render("v", value, {"id": "id_v"})
        assert mine == forms.HiddenInput().render("v", value, {"id": "id_v"})
        mine = PlainTextarea(attrs={"rows": 2}).render("t", value, {"id": "id_t"})
        theirs = forms.Textarea(attrs={"rows": 2}).render("t", value, {"id": "id_t"})
        assert sorted(re.findall(r'\w+="[^"]*"', mine)) == sorted(
            re.findall(r'\w+="[^"]*"', theirs)
        )
        assert mine.split(">", 1)[1] == theirs.split(">", 1)[1]


#: The row markup as the queue template drew it before rows were drawn in Python.
_ROW_TEMPLATE = """<tr data-row>
<td><input type="checkbox" name="tickets" value="{{ row.number }}" form="bulk-form" aria-label="{{ row.select_label }}"></td>
<td class="num"><a class="ticket-link" href="{{ row.url }}">{{ row.number }}</a></td>
<td class="title">{{ row.title }}{% if row.category %}<span class="sub">{{ row.category }}{% if row.service %} · {{ row.service }}{% endif %}</span>{% elif row.service %}<span class="sub">{{ row.service }}</span>{% endif %}</td>
<td><span class="badge state state-{{ row.state }}">{{ row.state_label }}</span></td>
<td><span class="badge prio prio-{{ row.priority }}" title="{{ row.priority_label }}">{{ row.priority }}</span></td>
<td>{{ row.sla }}</td>
<td>{{ row.group }}<span class="sub">{{ row.assignee }}</span></td>
<td>{{ row.requester }}</td>
<td><time datetime="{{ row.opened_iso }}" title="{{ row.opened_long }}">{{ row.opened_short }}</time></td>
</tr>"""  # noqa: E501


@pytest.mark.parametrize(
    ("category", "service"), [("Net & <Wi-Fi>", 'VPN "x"'), ("", "VPN"), ("Net", ""), ("", "")]
)
def test_row_markup_is_the_templates_markup(category: str, service: str) -> None:
    from django.template import engines
    from django.utils.safestring import mark_safe

    from itsm.workspace.rows import QueueRow, row_html

    row = QueueRow(
        number="INC0000042",
        select_label="Select INC0000042",
        url="/tickets/INC0000042/",
        title="<script>alert('x')</script> & more",
        category=category,
        service=service,
        state="in_progress",
        state_label="In Progress",
        priority="P2",
        priority_label="P2 - High",
        sla=mark_safe('<span class="sla-badges"></span>'),
        group="Desk <1>",
        assignee="O'Brien",
        requester='Ann "A" Smith',
        opened_iso="2026-11-27T03:00:00+00:00",
        opened_long="Nov. 27, 2026, 3 a.m.",
        opened_short="27 Nov 03:00",
        html=mark_safe(""),
    )
    expected = engines["django"].from_string(_ROW_TEMPLATE).render({"row": row})
    assert _squash(row_html(row)) == _squash(expected)


def test_ticket_page_reads_its_lists_only_when_there_is_something_to_show(
    client: Any,
    agent: User,
    requester: User,
    other_team: Group,
    create_ticket: Callable[..., Ticket],
    settings: Any,
    tmp_path: Any,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    ticket = create_ticket(requester=requester, title="The main one")
    client.force_login(agent)
    url = f"/tickets/{ticket.number}/"
    bare = client.get(url).content.decode()
    assert "No links yet." in bare
    assert "Nobody is watching." in bare
    assert 'id="files-title"' not in bare
    assert "Assign to me" in bare  # the agent belongs to the ticket's group
    lean = _count(client, url)

    # Given a parent, a child, links both ways (one to a ticket the agent may not see), a
    # watcher and a file on the ticket itself,
    parent = create_ticket(requester=requester, title="The parent")
    child = create_ticket(requester=requester, title="The child")
    linked = create_ticket(requester=requester, title="Linked to")
    linking = create_ticket(requester=requester, title="Linking in")
    secret_category = Category.objects.create(name="HR")
    secret_category.restricted_to_groups.add(other_team)
    secret = create_ticket(requester=requester, title="Secret", category=secret_category)
    do_set_parent_ticket(ticket, parent=parent, actor=agent)
    do_set_parent_ticket(child, parent=ticket, actor=agent)
    do_link_tickets(ticket, linked, link_type=LinkType.RELATED, actor=agent)
    do_link_tickets(linking, ticket, link_type=LinkType.CAUSED_BY, actor=agent)
    do_link_tickets(ticket, secret, link_type=LinkType.RELATED, actor=agent)
    do_add_watcher(ticket, user=agent, actor=agent)
    store_attachment(ticket, name="log.txt", content=b"paper jam", actor=agent, internal=False)

    # when the agent opens the page, then each shows, and the hidden ticket does not.
    page = client.get(url).content.decode().split('id="ticket-sidebar"')[1]
    assert f'<a href="/tickets/{parent.number}/">{parent.number}</a> The parent' in page
    assert f'<a href="/tickets/{child.number}/">{child.number}</a>' in page
    assert f'<a href="/tickets/{linked.number}/">{linked.number}</a> Linked to' in page
    assert f'<a href="/tickets/{linking.number}/">{linking.number}</a> (caused by)' in page
    assert secret.number not in page
    assert "Alice Agent</li>" in page
    assert "Stop watching" in page
    assert ">log.txt</a>" in page
    assert "No links yet." not in page
    assert _count(client, url) > lean

    # A ticket of another group: no "Assign to me".
    ticket.refresh_from_db()
    do_assign_ticket(ticket, group=other_team, assignee=None, actor=agent)
    assert "Assign to me" not in client.get(url).content.decode()


def _tokens(html: str) -> set[str]:
    return set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html))


def test_cached_sections_carry_each_visitors_own_csrf_token(
    agent: User, manager: User, requester: User, create_ticket: Callable[..., Ticket]
) -> None:
    from django.test import Client

    ticket = create_ticket(requester=requester)
    url = f"/tickets/{ticket.number}/"
    alice, maria = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    alice.force_login(agent)
    maria.force_login(manager)
    first = alice.get(url).content.decode()
    # Given Alice's page filled the cache, Maria's page is served from it with her own token,
    second = maria.get(url).content.decode()
    assert len(_tokens(first)) == 1
    assert len(_tokens(second)) == 1
    assert _tokens(first) != _tokens(second)
    assert "CsrfTokenPlaceholder" not in second
    header = re.search(r'"X-CSRFToken": "([^"]+)"', second)
    assert header
    assert _tokens(second) == {header.group(1)}

    # and it works: her reply from the cached form is accepted.
    reply = re.search(r'<form[^>]*action="[^"]*/reply/".*?</form>', second, re.S)
    assert reply
    token = _tokens(reply.group(0)).pop()
    answer = maria.post(
        f"{url}reply/",
        {
            "csrfmiddlewaretoken": token,
            "version": ticket.version,
            "body": "On it",
            "visibility": "public",
        },
    )
    assert answer.status_code == 302


def test_cached_sections_follow_the_ticket(
    client: Any, agent: User, requester: User, create_ticket: Callable[..., Ticket]
) -> None:
    ticket = create_ticket(requester=requester)
    client.force_login(agent)
    url = f"/tickets/{ticket.number}/"
    page = client.get(url).content.decode()
    assert "Nobody is watching." in page
    assert f'name="version" value="{ticket.version}"' in page

    # A new version, a new watcher: the next page shows them.
    do_add_watcher(ticket, user=agent, actor=agent)
    do_add_comment(ticket, body="Looking", internal=False, actor=agent)
    ticket.refresh_from_db()
    page = client.get(url).content.decode()
    assert "Alice Agent</li>" in page
    assert "Stop watching" in page
    sections = page.split('id="ticket-transitions"')[1].split('id="ticket-timeline"')[0]
    assert f'name="version" value="{ticket.version}"' in sections
    assert 'name="version" value="1"' not in sections

    # A refused transition (no reason given) is drawn with its error, not from the cache.
    target = "pending_user"
    answer = client.post(
        f"{url}transition/", {"version": ticket.version, "to_state": target, "reason": ""}
    )
    assert answer.status_code == 422
    assert 'class="field-error"' in answer.content.decode()
    assert 'class="field-error"' not in client.get(url).content.decode()


def test_queue_shows_views_shared_with_the_agents_groups_and_offers_them_to_share(
    client: Any,
    agent: User,
    manager: User,
    other_team_agent: User,
    service_desk: Group,
    other_team: Group,
) -> None:
    client.force_login(manager)
    client.post(
        "/queues/views/",
        {"name": "Desk view", "querystring": "state=open", "shared_with": service_desk.pk},
    )
    client.force_login(other_team_agent)
    client.post(
        "/queues/views/",
        {"name": "Network view", "querystring": "state=new", "shared_with": other_team.pk},
    )
    # Given Alice belongs to the Service Desk only,
    client.force_login(agent)
    page = client.get("/queues/").content.decode().split("<main")[1]  # after the flash messages
    # then she sees the view shared with it (with its owner and group), not the Network Team's,
    assert "Desk view" in page
    assert '<span class="muted">(Maria, Service Desk)</span>' in page
    assert "Network view" not in page
    # and may share with her group only; sharing with another is refused.
    share = _select(page, "shared_with")
    assert f'<option value="{service_desk.pk}">Service Desk</option>' in share
    assert str(other_team.name) not in share
    client.post(
        "/queues/views/",
        {"name": "Sneaky", "querystring": "", "shared_with": other_team.pk},
    )
    assert "Sneaky" not in client.get("/queues/").content.decode().split("<main")[1]
    # More rows (htmx) come without the forms around the table.
    rows = client.get("/queues/?state=open", HTTP_HX_REQUEST="true").content.decode()
    assert "Desk view" not in rows
    # A group that does not exist is refused as before.
    assert client.get(f"/queues/?group={other_team.pk + 100}").status_code == 400
    assert client.get(f"/queues/?group={other_team.pk}").status_code == 200


def test_layout_navigation_follows_role_and_page(
    client: Any, agent: User, manager: User, requester: User, create_ticket: Callable[..., Ticket]
) -> None:
    ticket = create_ticket(requester=requester)
    client.force_login(agent)
    page = client.get("/queues/").content.decode()
    assert '<a href="/queues/" aria-current="page">' in page
    assert "/dashboard/" not in page
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert 'aria-current="page"' not in page
    assert 'id="shortcuts"' in page
    # The same pages for a manager: the dashboard link shows.
    client.force_login(manager)
    page = client.get("/queues/").content.decode()
    assert 'href="/dashboard/"' in page
    assert '<a href="/queues/" aria-current="page">' in page


def test_queue_form_fields_are_drawn_once_per_values_and_options(
    client: Any, agent: User, service_desk: Group
) -> None:
    client.force_login(agent)
    url = f"/queues/?group={service_desk.pk}&priority=P3"
    first = client.get(url).content.decode()
    assert '<option value="P3" selected>' in _select(first, "priority")
    # Given the fields come from the cache, other values still draw their own selection.
    other = client.get(f"/queues/?group={service_desk.pk}&priority=P2").content.decode()
    assert '<option value="P2" selected>' in _select(other, "priority")
    assert '<option value="P3" selected>' in _select(client.get(url).content.decode(), "priority")

    # A new agent is offered at once, in the filters and in the bulk action.
    newcomer = User.objects.create_user(
        email="new.agent@example.com", password="x" * 12, full_name="New <Agent>", role="agent"
    )
    page = client.get(url).content.decode()
    option = f'<option value="{newcomer.pk}">New &lt;Agent&gt;</option>'
    assert option in _select(page, "assignee")
    assert option in _select(page.split('id="bulk-form"')[1], "assignee")

    # Filters with errors are drawn fresh, with their errors; the next valid page has none.
    bad = client.get("/queues/?priority=P9")
    assert bad.status_code == 400
    assert "field-error" in bad.content.decode()
    assert "field-error" not in client.get("/queues/?priority=P3").content.decode()


def _row_values(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": 42,
        "number": "INC0000042",
        "title": "Printer & <jam>",
        "state": "new",
        "priority": "P3",
        "opened_at": timezone.now().replace(second=0, microsecond=0),
        "updated_at": timezone.now(),
        "sla_due_at": None,
        "category__name": "Hardware",
        "service__name": "",
        "assignment_group__name": "Desk",
        "assignee__full_name": "",
        "assignee__email": None,
        "requester__full_name": "",
        "requester__email": "ann@example.com",
    }
    row.update(overrides)
    return row


def test_queue_rows_are_drawn_once_per_what_they_show(monkeypatch: pytest.MonkeyPatch) -> None:
    from itsm.workspace import rows as rows_module

    rows_module._ROW_CACHE.clear()
    now = timezone.now()
    badge = Badge(42, "Resolution", "resolution", "ok", "2h left", now, None, "running")
    fresh = rows_module.queue_rows([_row_values()], {42: [badge]})
    assert "Printer &amp; &lt;jam&gt;" in fresh[0]["html"]
    assert "2h left" in fresh[0]["html"]

    # Given the row is cached, when the page asks again, then nothing is drawn again.
    def no_drawing() -> None:
        raise AssertionError("drawn again")

    monkeypatch.setattr(rows_module, "_RowDrawer", no_drawing)
    again = rows_module.queue_rows([_row_values()], {42: [badge]})
    assert again == fresh
    again[0]["title"] = "changed by a caller"
    assert rows_module.queue_rows([_row_values()], {42: [badge]}) == fresh
    monkeypatch.undo()

    # What a row shows is its key: a new title, badge, state or time zone draws it anew.
    later = Badge(42, "Resolution", "resolution", "warn", "1h left", now, None, "running")
    assert "1h left" in rows_module.queue_rows([_row_values()], {42: [later]})[0]["html"]
    renamed = rows_module.queue_rows([_row_values(title="Scanner")], {42: [badge]})
    assert "Scanner" in renamed[0]["html"]
    resolved = rows_module.queue_rows([_row_values(state="resolved")], {})
    assert resolved[0]["sla"] == ""
    assert "No running SLA" in rows_module.queue_rows([_row_values()], {})[0]["sla"]
    with timezone.override("Asia/Kolkata"):
        shifted = rows_module.queue_rows([_row_values()], {42: [badge]})
    assert shifted[0]["opened_iso"] != fresh[0]["opened_iso"]
    assert shifted[0]["opened_iso"].endswith("+05:30")


def test_queue_row_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from itsm.workspace import rows as rows_module

    rows_module._ROW_CACHE.clear()
    monkeypatch.setattr(rows_module, "ROW_CACHE_SIZE", 3)
    for n in range(5):
        rows_module.queue_rows([_row_values(title=f"T{n}")], {})
    assert len(rows_module._ROW_CACHE) == 3


def test_ticket_header_and_details_follow_what_they_show(
    client: Any,
    agent: User,
    manager: User,
    requester: User,
    service_desk: Group,
    create_ticket: Callable[..., Ticket],
) -> None:
    ticket = create_ticket(requester=requester, description="First line")
    client.force_login(agent)
    url = f"/tickets/{ticket.number}/"
    page = client.get(url).content.decode()
    assert "Assign to me" in page
    assert client.get(url).content.decode().count(requester.email) == page.count(requester.email)

    # Given both sections are cached, when the requester is renamed (the ticket is unchanged),
    # then the next page shows the new name in the header and the details.
    requester.full_name = "Renamed <Requester>"
    requester.phone = "+1 555"
    requester.is_vip = True
    requester.save()
    page = client.get(url).content.decode()
    header = page.split('id="ticket-header"')[1].split("</header>")[0]
    details = page.split('id="ticket-details"')[1].split("</section>")[0]
    assert "Renamed &lt;Requester&gt;" in header
    assert 'class="badge vip"' in header
    assert "Renamed &lt;Requester&gt;" in details
    assert "+1 555" in details

    # The "assign to me" button is the viewer's: gone once the viewer is the assignee,
    # still offered to another member of the group.
    do_assign_ticket(ticket, group=service_desk, assignee=agent, actor=agent)
    page = client.get(url).content.decode()
    assert "Assign to me" not in page
    client.force_login(manager)
    assert "Assign to me" in client.get(url).content.decode()

    # Editing draws the form, not the cached facts.
    client.force_login(agent)
    assert 'class="details-form"' in client.get(f"{url}?edit=1").content.decode()


def test_save_view_choices_follow_the_users_groups(
    client: Any, agent: User, service_desk: Group, other_team: Group
) -> None:
    client.force_login(agent)
    page = client.get("/queues/").content.decode()
    assert f'<option value="{service_desk.pk}">' in _select(page, "shared_with")
    assert f'<option value="{other_team.pk}">' not in _select(page, "shared_with")
    # Given the fields are cached, when the agent joins a group, then it is offered at once.
    agent.assignment_groups.add(other_team)
    page = client.get("/queues/").content.decode()
    assert f'<option value="{other_team.pk}">' in _select(page, "shared_with")


def _queue_row(page: str, number: str) -> str:
    found = re.search(rf"<tr data-row>(?:(?!</tr>).)*>{number}</a>.*?</tr>", page, re.S)
    assert found, number
    return found.group(0)


def test_queue_rows_name_the_current_group_category_and_service(
    client: Any,
    agent: User,
    requester: User,
    service_desk: Group,
    create_ticket: Callable[..., Ticket],
) -> None:
    category = Category.objects.create(name="Printers")
    service = Service.objects.create(name="Printing")
    ticket = create_ticket(requester=requester, category=category, service=service)
    client.force_login(agent)
    row = _queue_row(client.get("/queues/").content.decode(), ticket.number)
    assert ">Service Desk<" in row
    assert "Printers · Printing" in row

    # Renamed: the next page shows the new names (the reference rows follow their tables).
    service_desk.name = "First Line"
    service_desk.save()
    category.name = "Printers & <Scanners>"
    category.save()
    row = _queue_row(client.get("/queues/").content.decode(), ticket.number)
    assert ">First Line<" in row
    assert "Printers &amp; &lt;Scanners&gt; · Printing" in row


def test_a_row_newer_than_the_reference_version_is_named_by_id() -> None:
    from itsm.core.stamps import rows_by_id, stamp_scope
    from itsm.workspace.rows import with_reference_names

    with stamp_scope():
        rows_by_id(Category).get()
        # Written without save(): the version this scope read does not hold it.
        [fresh] = Category.objects.bulk_create([Category(name="Fresh", kind="incident")])
        [row] = with_reference_names(
            [{"category_id": fresh.pk, "service_id": None, "assignment_group_id": None}]
        )
    assert row["category__name"] == "Fresh"
    assert row["service__name"] is None
    assert row["assignment_group__name"] is None
