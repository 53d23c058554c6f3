"""Per-request dataloaders: each relation field batches into one `id__in` query.

Created fresh in `get_context` for every request (never module-level), so nothing is cached
across callers with different permissions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from functools import cached_property
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
from gatehouse.resolvers.onboarding.status import OnboardingStatus, compute_statuses

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


def required(row: M | None) -> M:
    """A row a foreign key points at, from a by-id loader: missing only if deleted meanwhile."""
    if row is None:
        raise LookupError("A related row was deleted while this request ran.")
    return row


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
    """Each loader is made on first use: a request touches two or three of them, not all."""

    @cached_property
    def organization(self) -> DataLoader[str, Organization | None]:
        return DataLoader(_by_id(Organization))

    @cached_property
    def user(self) -> DataLoader[str, User | None]:
        return DataLoader(_by_id(User))

    @cached_property
    def role(self) -> DataLoader[str, Role | None]:
        return DataLoader(_by_id(Role))

    @cached_property
    def member(self) -> DataLoader[str, Member | None]:
        return DataLoader(_by_id(Member))

    @cached_property
    def roles_by_organization(self) -> DataLoader[str, list[Role]]:
        return DataLoader(_grouped(Role, "organization_id"))

    @cached_property
    def memberships_by_user(self) -> DataLoader[str, list[Member]]:
        return DataLoader(_grouped(Member, "user_id"))

    @cached_property
    def domains_by_organization(self) -> DataLoader[str, list[Domain]]:
        return DataLoader(_grouped(Domain, "organization_id", order="domain"))

    @cached_property
    def connections_by_organization(self) -> DataLoader[str, list[Connection]]:
        return DataLoader(_grouped(Connection, "organization_id"))

    @cached_property
    def directories_by_organization(self) -> DataLoader[str, list[Directory]]:
        return DataLoader(_grouped(Directory, "organization_id"))

    @cached_property
    def log_streams_by_organization(self) -> DataLoader[str, list[LogStream]]:
        return DataLoader(_grouped(LogStream, "organization_id", order="created_at"))

    @cached_property
    def directory_group(self) -> DataLoader[str, DirectoryGroup | None]:
        return DataLoader(_by_id(DirectoryGroup))

    @cached_property
    def role_mappings_by_directory(self) -> DataLoader[str, list[GroupRoleMapping]]:
        return DataLoader(_grouped(GroupRoleMapping, "directory_id", order="-priority"))

    @cached_property
    def directory_users_by_member(self) -> DataLoader[str, list[DirectoryUser]]:
        return DataLoader(_grouped(DirectoryUser, "member_id"))

    @cached_property
    def directory_user_count(self) -> DataLoader[str, int]:
        return DataLoader(_counts(DirectoryUser, "directory_id"))

    @cached_property
    def directory_group_count(self) -> DataLoader[str, int]:
        return DataLoader(_counts(DirectoryGroup, "directory_id"))

    @cached_property
    def onboarding(self) -> DataLoader[str, OnboardingStatus]:
        # A page of organizations costs the same few grouped queries as one.
        async def load(ids: Sequence[str]) -> list[OnboardingStatus]:
            statuses = await compute_statuses(list(ids))
            return [statuses[i] for i in ids]

        return DataLoader(load)

    async def preload(
        self, loader: DataLoader[str, M | None], model: type[M], ids: Iterable[str]
    ) -> None:
        """Fetch in one query the rows a page's fields will ask `loader` for. Unlike
        `load_many`, no future per key is awaited and gathered: on a page of 100 members that
        machinery cost more than the query."""
        missing = {i for i in ids if loader.cache_map.get(i) is None}
        if missing:
            rows = await model.filter(id__in=list(missing))
            loader.prime_many({row.pk: row for row in rows})

    def prime(self, rows: Iterable[Model]) -> None:
        """Seed the by-id loaders with rows a resolver already holds."""
        for row in rows:
            name = _BY_ID_LOADERS.get(type(row))
            if name is not None:
                getattr(self, name).prime(row.pk, row)


_BY_ID_LOADERS: dict[type[Model], str] = {
    Organization: "organization",
    User: "user",
    Role: "role",
    Member: "member",
}
