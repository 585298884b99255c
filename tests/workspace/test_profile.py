"""People manage their own availability and API tokens."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from itsm.accounts.actions import authenticate_api_token
from itsm.accounts.models import ApiToken

pytestmark = pytest.mark.django_db


def test_token_is_shown_once_works_and_can_be_revoked(client, requester):
    client.force_login(requester)

    page = client.post("/profile/tokens/", {"name": "laptop script"})

    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    secret = re.search(r"data-token-secret>([^<]+)<", page.content.decode()).group(1)
    assert authenticate_api_token(secret) == requester
    api = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.status_code == 200
    later = client.get("/profile/").content.decode()
    assert secret not in later
    assert "laptop script" in later

    token = ApiToken.objects.get(user=requester)
    client.post(f"/profile/tokens/{token.pk}/revoke/")

    assert authenticate_api_token(secret) is None


def test_nobody_revokes_another_persons_token(client, requester, other_requester, token_for):
    secret = token_for(other_requester)
    token = ApiToken.objects.get(user=other_requester)
    client.force_login(requester)

    assert client.post(f"/profile/tokens/{token.pk}/revoke/").status_code == 404
    assert authenticate_api_token(secret) == other_requester


def test_empty_token_name_is_an_error_in_place(client, requester):
    client.force_login(requester)
    page = client.post("/profile/tokens/", {"name": "  "})
    assert page.status_code == 422
    assert "This field is required." in page.content.decode()
    assert not ApiToken.objects.exists()


def test_agent_sets_away_until_and_assignment_skips_them(client, agent):
    client.force_login(agent)
    until = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")

    client.post("/profile/availability/", {"availability": "away", "away_until": until})

    agent.refresh_from_db()
    assert agent.is_away()
    assert not agent.is_away(at=timezone.now() + timedelta(days=3))


def test_away_until_in_the_past_is_refused(client, agent):
    client.force_login(agent)
    page = client.post(
        "/profile/availability/", {"availability": "away", "away_until": "2020-01-01T09:00"}
    )
    assert page.status_code == 422
    assert "Choose a time in the future." in page.content.decode()


def test_requesters_have_no_availability(client, requester):
    client.force_login(requester)
    assert client.post("/profile/availability/", {"availability": "away"}).status_code == 404
