"""The category tree, its visibility restrictions and the priority matrix, read once per process
and read again when they change (``itsm.core.stamps``): every ticket creation, answer and
notification asks them, and they change a few times a year."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from itsm.core.stamps import StampedCache, stamp_table
from itsm.taxonomy.models import Category, PriorityMatrixEntry


@dataclass(frozen=True)
class CategoryTree:
    """Every category's parent and full path (Hardware > Laptop), and the groups each
    restricted category is limited to."""

    parents: Mapping[int, int | None]
    paths: Mapping[int, str]
    restricted_to: Mapping[int, frozenset[int]]

    def path_ids(self, category_id: int) -> set[int]:
        """The category and every category above it."""
        path: set[int] = set()
        node: int | None = category_id
        while node is not None and node not in path:
            path.add(node)
            node = self.parents.get(node)
        return path


def _read_tree() -> CategoryTree:
    nodes = {
        pk: (name, parent)
        for pk, name, parent in Category.objects.order_by().values_list("pk", "name", "parent_id")
    }
    paths: dict[int, str] = {}
    for node_id in nodes:
        names: list[str] = []
        current: int | None = node_id
        while current is not None and current in nodes and len(names) < 50:
            names.append(nodes[current][0])
            current = nodes[current][1]
        paths[node_id] = " > ".join(reversed(names))
    restricted: dict[int, set[int]] = {}
    through = Category.restricted_to_groups.through
    for category_id, group_id in through.objects.values_list("category_id", "group_id"):
        restricted.setdefault(category_id, set()).add(group_id)
    return CategoryTree(
        parents=MappingProxyType({pk: parent for pk, (_, parent) in nodes.items()}),
        paths=MappingProxyType(paths),
        restricted_to=MappingProxyType({c: frozenset(g) for c, g in restricted.items()}),
    )


def _read_matrix() -> Mapping[tuple[str, str], str]:
    return MappingProxyType(
        {
            (i, u): p
            for i, u, p in PriorityMatrixEntry.objects.values_list("impact", "urgency", "priority")
        }
    )


stamp_table(Category)
stamp_table(Category.restricted_to_groups.through, content=("category_id", "group_id"))
stamp_table(PriorityMatrixEntry, content=("impact", "urgency", "priority"))
_TREE = StampedCache(_read_tree)
_MATRIX = StampedCache(_read_matrix)


def category_tree() -> CategoryTree:
    """The category tree as it is now (shared: do not change it)."""
    return _TREE.get()


def priority_matrix() -> Mapping[tuple[str, str], str]:
    """The matrix's cells as they are now: (impact, urgency) -> priority."""
    return _MATRIX.get()
