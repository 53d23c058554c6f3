"""Per-request dataloaders: each relation field batches into one `id__in` query.

Created fresh in `get_context` for every request (never module-level), so nothing is cached
across callers with different permissions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TypeVar

from strawberry.dataloader import DataLoader
from tortoise.functions import Count
from tortoise.models import Model

from gatehouse.models import (
    Connection,
    Directory,
    DirectoryGroup,
    DirectoryUser,
    Domain,
    GroupRoleMapping,
    LogStream,
    Member,
    Organization,
    Role,
    User,
)

M = TypeVar("M", bound=Model)


def _by_id(model: type[M]) -> Callable[[Sequence[str]], Awaitable[list[M | None]]]:
    async def load(ids: Sequence[str]) -> list[M | None]:
        rows = {row.pk: row for row in await model.filter(id__in=list(ids))}
        return [rows.get(i) for i in ids]

    return load


def _grouped(
    model: type[M], key: str, order: str = "id"
) -> Callable[[Sequence[str]], Awaitable[list[list[M]]]]:
    async def load(keys: Sequence[str]) -> list[list[M]]:
        groups: dict[str, list[M]] = defaultdict(list)
        for row in await model.filter(**{f"{key}__in": list(keys)}).order_by(order):
            groups[getattr(row, key)].append(row)
        return [groups.get(k, []) for k in keys]

    return load


K = TypeVar("K")
R = TypeVar("R")
T = TypeVar("T")


def now_or_later(loader: DataLoader[K, R], key: K, convert: Callable[[R], T]) -> T | Awaitable[T]:
    """The converted row at once if the loader already holds it, else an awaitable.

    graphql-core awaits whatever a resolver returns that is awaitable; answering synchronously
    when a page was batch-loaded up front spares a coroutine per row and field.
    """
    cached = loader.cache_map.get(key)
    if cached is not None and cached.done() and not cached.exception():
        return convert(cached.result())

    async def later() -> T:
        return convert(await loader.load(key))

    return later()


def _counts(model: type[M], key: str) -> Callable[[Sequence[str]], Awaitable[list[int]]]:
    async def load(keys: Sequence[str]) -> list[int]:
        rows = (
            await model.filter(**{f"{key}__in": list(keys)})
            .annotate(n=Count("id"))
            .group_by(key)
            .values_list(key, "n")
        )
        counts = {str(k): int(n) for k, n in rows}
        return [counts.get(k, 0) for k in keys]

    return load


class Loaders:
    def __init__(self) -> None:
        self.organization = DataLoader(_by_id(Organization))
        self.user = DataLoader(_by_id(User))
        self.role = DataLoader(_by_id(Role))
        self.member = DataLoader(_by_id(Member))
        self.roles_by_organization = DataLoader(_grouped(Role, "organization_id"))
        self.memberships_by_user = DataLoader(_grouped(Member, "user_id"))
        self.domains_by_organization = DataLoader(
            _grouped(Domain, "organization_id", order="domain")
        )
        self.connections_by_organization = DataLoader(_grouped(Connection, "organization_id"))
        self.directories_by_organization = DataLoader(_grouped(Directory, "organization_id"))
        self.log_streams_by_organization = DataLoader(
            _grouped(LogStream, "organization_id", order="created_at")
        )
        self.directory_group = DataLoader(_by_id(DirectoryGroup))
        self.role_mappings_by_directory = DataLoader(
            _grouped(GroupRoleMapping, "directory_id", order="-priority")
        )
        self.directory_users_by_member = DataLoader(_grouped(DirectoryUser, "member_id"))
        self.directory_user_count = DataLoader(_counts(DirectoryUser, "directory_id"))
        self.directory_group_count = DataLoader(_counts(DirectoryGroup, "directory_id"))

    def prime(self, rows: Iterable[Model]) -> None:
        """Seed the by-id loaders with rows a resolver already holds."""
        for row in rows:
            loader = {
                Organization: self.organization,
                User: self.user,
                Role: self.role,
                Member: self.member,
            }.get(type(row))
            if loader is not None:
                loader.prime(row.pk, row)
