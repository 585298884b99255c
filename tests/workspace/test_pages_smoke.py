from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def test_pages_render(client: Any, agent: Any, manager: Any, requester: Any, create_ticket: Any) -> None:
    ticket = create_ticket(requester=requester)
    client.force_login(manager)
    for url in ["/", "/queues/", f"/tickets/{ticket.number}/", "/incidents/new/", "/dashboard/",
                "/portal/", "/portal/report/", "/portal/tickets/", f"/portal/tickets/{ticket.number}/",
                "/lookups/requester/?q=ri"]:
        response = client.get(url)
        assert response.status_code == 200, (url, response.content[:3000])
