"""Every router of the API, in one list."""

from __future__ import annotations

from ninja import NinjaAPI


def register(api: NinjaAPI) -> None:
    from itsm.api import tickets

    api.add_router("/tickets", tickets.router, tags=["Tickets"])
