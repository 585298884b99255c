"""Option lists of the queue's filter and bulk forms (drawn by ``widgets.OptionsSelect``).

Every queue page offers every assignment group, category, service and agent as options, twice
(filters and bulk action). Building them from model instances and drawing each option through
Django's widget templates cost more than the page's SQL. The lists of groups, categories and
services are cached as (value, label) pairs under a version of those tables (row count and newest
``updated_at`` of each, in the one stamp query of ``itsm.core.stamps``), so a rename or a new row
shows up on the next page.
People have no ``updated_at``: the agents are read on every page, in one lean query.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from functools import cached_property
from typing import Any

from django.core.cache import cache
from django.utils.choices import BaseChoiceIterator

from itsm.accounts.choices import Role
from itsm.accounts.models import Group, User
from itsm.cmdb.models import Service
from itsm.core.stamps import reference_stamp, stamp_table
from itsm.taxonomy.models import Category

Options = list[tuple[str, str]]

AGENT_ROLES = (Role.AGENT, Role.MANAGER, Role.ADMIN)
_CACHE_SECONDS = 24 * 3600


# Groups, categories and services are part of the reference stamp (``itsm.core.stamps``): one
# query per request, shared with the other per-process caches of reference data.
stamp_table(Group)
stamp_table(Category)
stamp_table(Service)


def reference_version() -> str:
    """A digest of the reference stamp: it changes when a group, category or service does."""
    stamp = repr(reference_stamp()).encode()
    return hashlib.sha1(stamp, usedforsecurity=False).hexdigest()


def _group_options() -> Options:
    return [(str(pk), name) for pk, name in Group.objects.values_list("pk", "name")]


def _category_options() -> Options:
    # Labels are category paths (``Category.path``), built from one read of every category.
    rows = list(Category.objects.values_list("pk", "name", "parent_id", "is_active"))
    by_id = {pk: (name, parent) for pk, name, parent, _active in rows}

    def path(pk: int) -> str:
        names = []
        node: int | None = pk
        while node is not None:
            name, node = by_id[node]
            names.append(name)
        return " > ".join(reversed(names))

    # In the model's ordering (kind, name), as the queryset of the old field gave them.
    return [(str(pk), path(pk)) for pk, _name, _parent, active in rows if active]


def _service_options() -> Options:
    return [
        (str(pk), name)
        for pk, name in Service.objects.filter(is_active=True).values_list("pk", "name")
    ]


class ReferenceOptions:
    """The option lists of one page: the version is read when a cached list is first needed."""

    @cached_property
    def version(self) -> str:
        return reference_version()

    def _cached(self, name: str, build: Any) -> Options:
        key = f"workspace:options:{name}:{self.version}"
        found: Options | None = cache.get(key)
        if found is None:
            found = build()
            cache.set(key, found, _CACHE_SECONDS)
        return found

    @cached_property
    def groups(self) -> Options:
        return self._cached("groups", _group_options)

    @cached_property
    def categories(self) -> Options:
        return self._cached("categories", _category_options)

    @cached_property
    def services(self) -> Options:
        return self._cached("services", _service_options)

    @cached_property
    def agents(self) -> Options:
        agents = User.objects.filter(role__in=AGENT_ROLES, is_active=True)
        # Labels as ``str(user)`` gives them.
        rows = agents.values_list("pk", "full_name", "email")
        return [(str(pk), name or email) for pk, name, email in rows]

    @cached_property
    def drawn_version(self) -> str:
        """What a select drawn from these lists shows: the reference version and the agents.

        Keys the cached markup of the queue's filter and bulk forms (``section_keys``)."""
        agents = repr(self.agents).encode()
        return f"{self.version}:{hashlib.sha1(agents, usedforsecurity=False).hexdigest()}"


class LazyOptions(BaseChoiceIterator):
    """Choices of a select read when it is drawn: a fixed head, an empty choice, then ``pairs()``."""

    def __init__(
        self,
        empty_label: Any,
        pairs: Callable[[], Options],
        *,
        head: Options | None = None,
    ) -> None:
        self.empty_label = empty_label
        self.pairs = pairs
        self.head = head or []

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        yield from self.head
        if self.empty_label is not None:
            yield "", self.empty_label
        yield from self.pairs()
