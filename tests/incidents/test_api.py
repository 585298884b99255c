"""The /api/v1/incidents and /api/v1/rules endpoints."""

from __future__ import annotations

import pytest
from django.test import Client

from itsm.accounts.models import Group
from itsm.cmdb.models import Service
from itsm.rules.models import AssignmentRule, EscalationRule
from itsm.taxonomy.models import Category
from itsm.tickets.models import Ticket

pytestmark = pytest.mark.django_db

URL = "/api/v1/incidents"


@pytest.fixture
def client_for(token_for):
    def make(user):
        return Client(headers={"Authorization": f"Bearer {token_for(user)}"})

    return make


def _problem(response, status):
    assert response.status_code == status, response.content[:400]
    assert response["Content-Type"].startswith("application/problem+json")
    return response.json()


def test_logging_answers_number_state_and_computed_priority(client_for, requester, service_desk):
    response = client_for(requester).post(
        URL,
        {"title": "VPN down", "description": "Since 9", "impact": "high", "urgency": "high"},
        content_type="application/json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("INC")
    assert (body["state"], body["priority"], body["channel"]) == ("new", "P1", "api")
    assert body["assignment_group"]["name"] == service_desk.name
    assert response["ETag"] == f'W/"{body["version"]}"'
    assert response["Location"].endswith(body["number"])


def test_only_agents_name_another_requester(client_for, requester, other_requester, agent):
    payload = {"title": "Printer jams", "requester": other_requester.email, "channel": "phone"}

    _problem(client_for(requester).post(URL, payload, content_type="application/json"), 403)
    response = client_for(agent).post(URL, payload, content_type="application/json")

    assert response.status_code == 201
    ticket = Ticket.objects.get(number=response.json()["number"])
    assert (ticket.requester, ticket.opened_by, ticket.channel) == (other_requester, agent, "phone")


def test_bad_input_gets_422_naming_the_field(client_for, requester, service_desk):
    client = client_for(requester)
    assert _problem(
        client.post(URL, {"title": "x", "impact": "huge"}, content_type="application/json"), 422
    )
    body = _problem(
        client.post(URL, {"title": "x", "service": "Nope"}, content_type="application/json"), 422
    )
    assert body["field"] == "service"


def test_patch_needs_if_match_and_refuses_stale_versions(
    client_for, agent, requester, service_desk
):
    client = client_for(agent)
    created = client.post(
        URL, {"title": "Slow", "requester": requester.email}, content_type="application/json"
    ).json()
    path = f"{URL}/{created['number']}"

    _problem(client.patch(path, {"urgency": "high"}, content_type="application/json"), 428)
    etag = client.get(path)["ETag"]
    ok = client.patch(
        path,
        {"impact": "high", "urgency": "high"},
        content_type="application/json",
        headers={"If-Match": etag},
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["priority"] == "P1"
    _problem(
        client.patch(
            path, {"title": "Again"}, content_type="application/json", headers={"If-Match": etag}
        ),
        412,
    )


def test_a_manager_overrides_the_priority_with_a_reason(
    client_for, manager, requester, service_desk
):
    client = client_for(manager)
    number = client.post(
        URL, {"title": "Slow", "requester": requester.email}, content_type="application/json"
    ).json()["number"]
    path = f"{URL}/{number}"
    etag = client.get(path)["ETag"]

    missing = client.patch(
        path, {"priority": "P1"}, content_type="application/json", headers={"If-Match": etag}
    )
    assert _problem(missing, 422)["field"] == "reason"
    ok = client.patch(
        path,
        {"priority": "P1", "priority_reason": "CEO affected"},
        content_type="application/json",
        headers={"If-Match": etag},
    )

    assert ok.json()["priority"] == "P1"


def test_transitions_by_slug_or_name_and_409_with_the_allowed_ones(
    client_for, agent, requester, service_desk
):
    client = client_for(agent)
    number = client.post(
        URL, {"title": "Slow", "requester": requester.email}, content_type="application/json"
    ).json()["number"]
    path = f"{URL}/{number}/transitions"

    body = _problem(client.post(path, {"to": "closed"}, content_type="application/json"), 409)
    assert "in_progress" in body["allowed_transitions"]
    assert (
        client.post(path, {"to": "In Progress"}, content_type="application/json").json()["state"]
        == "in_progress"
    )
    held = client.post(path, {"to": "on_hold", "reason": "Freeze"}, content_type="application/json")
    assert held.json()["hold_reason"] == "Freeze"
    resolved = client.post(
        path,
        {"to": "resolved", "resolution_code": "workaround", "resolution_notes": "Rebooted"},
        content_type="application/json",
    ).json()
    assert (resolved["state"], resolved["resolution_code"]) == ("resolved", "workaround")
    names = [t["to"] for t in client.get(path).json()]
    assert set(names) == {"in_progress", "closed"}


def test_major_incident_endpoints(client_for, agent, manager, requester, service_desk):
    agent_client, manager_client = client_for(agent), client_for(manager)
    major = agent_client.post(URL, {"title": "Mail down"}, content_type="application/json").json()
    child = agent_client.post(URL, {"title": "No mail"}, content_type="application/json").json()

    proposed = agent_client.post(
        f"{URL}/{major['number']}/major-candidate",
        {"reason": "Many calls"},
        content_type="application/json",
    )
    assert proposed.json()["is_major_candidate"] is True
    _problem(
        agent_client.post(
            f"{URL}/{major['number']}/major",
            {"manager": "me", "reason": "x"},
            content_type="application/json",
        ),
        403,
    )
    flagged = manager_client.post(
        f"{URL}/{major['number']}/major",
        {"manager": agent.email, "reason": "All staff"},
        content_type="application/json",
    ).json()
    assert flagged["is_major"] is True
    assert flagged["major_incident_manager"]["email"] == agent.email
    attached = agent_client.post(
        f"{URL}/{major['number']}/children",
        {"child": child["number"]},
        content_type="application/json",
    )
    assert attached.json()["child_incidents"] == [child["number"]]
    assert agent_client.get(f"{URL}/{child['number']}").json()["major_incident"] == major["number"]


def test_rules_are_readable_by_administrators_only(
    client_for, admin_user, agent, service_desk, django_assert_max_num_queries
):
    for index in range(5):
        AssignmentRule.objects.create(name=f"Rule {index}", keywords="vpn", group=service_desk)
    escalation = EscalationRule.objects.create(
        name="P1 at once",
        trigger="priority_at_once",
        priorities=["P1"],
        notify_major_incident_team=True,
    )
    escalation.groups.add(Group.objects.create(name="Tier 1"))
    client = client_for(admin_user)

    _problem(client_for(agent).get("/api/v1/rules/assignment"), 403)
    with django_assert_max_num_queries(6):
        rules = client.get("/api/v1/rules/assignment").json()
    assert [rule["name"] for rule in rules] == [f"Rule {i}" for i in range(5)]
    assert rules[0]["keywords"] == ["vpn"]
    escalations = client.get("/api/v1/rules/escalation").json()
    assert escalations[0]["groups"] == ["Tier 1"]
    assert escalations[0]["trigger"] == "priority_at_once"


def test_the_openapi_spec_documents_incidents_with_examples(client_for, agent):
    spec = client_for(agent).get("/api/v1/openapi.json").json()
    post = spec["paths"]["/api/v1/incidents"]["post"]
    assert "201" in post["responses"]
    transitions = spec["paths"]["/api/v1/incidents/{number}/transitions"]["post"]
    assert "409" in transitions["responses"]
    assert "examples" in transitions["requestBody"]["content"]["application/json"]


def test_logging_costs_a_constant_number_of_queries(
    client_for, agent, requester, service_desk, django_assert_max_num_queries
):
    service_desk.strategy = "round_robin"
    service_desk.save()
    client = client_for(agent)
    payload = {
        "title": "VPN down",
        "requester": requester.pk,
        "impact": "high",
        "category": Category.objects.create(name="Network").pk,
        "service": Service.objects.create(name="VPN").pk,
    }
    client.post(URL, payload, content_type="application/json")  # warms per-process caches

    # Token, requester, the API's transaction (a savepoint here, inside the test's), the creation
    # with the reference stamp that also vouches for the cached category, service and fallback
    # group (11 statements on SQLite, whose ticket number takes two), the Incident row; the
    # answer is made from the rows in hand (32 statements before).
    with django_assert_max_num_queries(15):
        response = client.post(URL, payload, content_type="application/json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["state"], body["assignee"]["id"], body["version"]) == ("assigned", agent.pk, 1)
    assert body["child_incidents"] == []
    assert body["is_major"] is False
    assert response["ETag"] == 'W/"1"'
    assert (body["category"], body["service"]) == ("Network", "VPN")
    stored = Ticket.objects.get(number=body["number"])
    assert body["sla_due_at"] is not None
    assert body["updated_at"].replace("Z", "+00:00") == stored.updated_at.isoformat()


def test_categories_and_services_named_by_id_are_read_as_they_are_now(
    client_for, agent, requester, service_desk
):
    # Given a category and a service the process has cached by logging an incident with them
    client = client_for(agent)
    category = Category.objects.create(name="Network")
    service = Service.objects.create(name="VPN")
    payload = {"title": "VPN down", "category": category.pk, "service": service.pk}
    assert client.post(URL, payload, content_type="application/json").status_code == 201

    # When they are renamed
    category.name = "Networking"
    category.save()
    service.name = "Remote access"
    service.save()

    # Then the next incident carries the new names
    body = client.post(URL, payload, content_type="application/json").json()
    assert (body["category"], body["service"]) == ("Networking", "Remote access")
    ticket = Ticket.objects.get(number=body["number"])
    assert (ticket.category_id, ticket.service_id) == (category.pk, service.pk)
    # And unknown ids, or a category of another kind, are refused by name of the field
    request_category = Category.objects.create(name="Access", kind="service_request")
    for field, value in (("category", request_category.pk), ("service", 10**9)):
        problem = _problem(
            client.post(URL, {**payload, field: value}, content_type="application/json"), 422
        )
        assert field in str(problem)


def test_a_retried_incident_with_the_same_idempotency_key_is_logged_once(
    client_for, requester, service_desk
):
    client = client_for(requester)
    body = {"title": "Wi-Fi down on floor 3", "description": "", "impact": "low"}
    headers = {"Idempotency-Key": "b0d5c1a2-retry-after-timeout"}

    first = client.post(URL, body, content_type="application/json", headers=headers)
    again = client.post(URL, body, content_type="application/json", headers=headers)

    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["number"] == first.json()["number"]
    assert again["Location"] == first["Location"]
    assert Ticket.objects.filter(title="Wi-Fi down on floor 3").count() == 1
    other = dict(body, title="Printer jam")
    problem = _problem(
        client.post(URL, other, content_type="application/json", headers=headers), 422
    )
    assert "different request" in problem["detail"]
    assert not Ticket.objects.filter(title="Printer jam").exists()
    # Without a key every request is a new incident.
    client.post(URL, body, content_type="application/json")
    assert Ticket.objects.filter(title="Wi-Fi down on floor 3").count() == 2
