"""Every router of the API, in one list (one line per router)."""

from __future__ import annotations

from ninja import NinjaAPI


def register(api: NinjaAPI) -> None:
    from itsm.api import attachments, journal, me, tickets, watchers

    api.add_router("/me", me.router, tags=["Me"])
    api.add_router("/tickets", tickets.router, tags=["Tickets"])
    api.add_router("/tickets", journal.router, tags=["Journal"])
    api.add_router("/tickets", attachments.router, tags=["Attachments"])
    api.add_router("/tickets", watchers.router, tags=["Watchers"])
    from itsm.api import slas

    api.add_router("/tickets", slas.router, tags=["SLAs"])
    from itsm.api import incidents, rules

    api.add_router("/incidents", incidents.router, tags=["Incidents"])
    api.add_router("/rules", rules.router, tags=["Rules"])
    from itsm.api import reports

    api.add_router("/reports", reports.router, tags=["Reports"])
