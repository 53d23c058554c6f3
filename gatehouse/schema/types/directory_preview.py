"""A PREVIEW directory's held changes: joiners, movers and leavers, with the roles they get."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from gatehouse.models import DirectoryMode as DirectoryModeModel
from gatehouse.resolvers.directories import preview
from gatehouse.resolvers.pagination import encode_cursor
from gatehouse.schema.context import Info
from gatehouse.schema.loaders import required
from gatehouse.schema.types.common import PageInfo
from gatehouse.schema.types.member import Role

if TYPE_CHECKING:
    from gatehouse.schema.types.directory import DirectoryUser, GroupRoleMapping

DirectoryUserRef = Annotated["DirectoryUser", strawberry.lazy("gatehouse.schema.types.directory")]
MappingRef = Annotated["GroupRoleMapping", strawberry.lazy("gatehouse.schema.types.directory")]

# strawberry.enum returns the same class: alias the class so mypy reads the name as a type.
strawberry.enum(
    DirectoryModeModel,
    name="DirectoryMode",
    description="LIVE: pushes reach members at once. PREVIEW: users and groups are mirrored and "
    "answered exactly as in LIVE, but membership changes are held in `pendingChanges` until "
    "`applyDirectoryChanges`.",
)
DirectoryMode = DirectoryModeModel
# strawberry.enum returns the same class: alias the class so mypy reads the name as a type.
strawberry.enum(
    preview.ChangeKind,
    name="DirectoryChangeKind",
    description="JOINER: becomes an active member (new or reactivated); MOVER: an active "
    "member whose role changes; LEAVER: an active member the IdP deactivated.",
)
DirectoryChangeKind = preview.ChangeKind


@strawberry.type(description="One held change of a PREVIEW directory. Requires `directories:read`.")
class DirectoryChange:
    kind: DirectoryChangeKind = strawberry.field(description="Joiner, mover or leaver.")
    email: str = strawberry.field(description="The person's email address.")
    _change: strawberry.Private[preview.PendingChange]

    @strawberry.field(description="The directory user the change comes from.")
    def directory_user(self) -> DirectoryUserRef:
        from gatehouse.schema.types.directory import DirectoryUser

        return DirectoryUser.from_model(self._change.directory_user)

    @strawberry.field(description="The role the member gets (a leaver keeps theirs, inactive).")
    async def role(self, info: Info) -> Role:
        return Role.from_model(required(await info.context.loaders.role.load(self._change.role_id)))

    @strawberry.field(description="The member's role now; null when there is no member yet.")
    async def previous_role(self, info: Info) -> Role | None:
        if self._change.previous_role_id is None:
            return None
        role = await info.context.loaders.role.load(self._change.previous_role_id)
        return Role.from_model(required(role))

    @strawberry.field(
        description="The group→role mapping that chose `role`; null when it is the "
        "organization's default role (the user is in no mapped group) or a leaver's."
    )
    def mapping(self) -> MappingRef | None:
        from gatehouse.schema.types.directory import GroupRoleMapping

        m = self._change.mapping
        return GroupRoleMapping(priority=m.priority, _model=m) if m is not None else None


@strawberry.type(description="An edge in a list of held changes.")
class DirectoryChangeEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this item.")
    node: DirectoryChange = strawberry.field(description="The change.")


@strawberry.type(description="A page of held changes, with the counts of all of them.")
class DirectoryChangePage:
    edges: list[DirectoryChangeEdge] = strawberry.field(description="Changes on this page.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages exist.")
    total_count: int = strawberry.field(description="Changes across all pages (of this kind).")
    joiners: int = strawberry.field(description="Joiners across all pages.")
    movers: int = strawberry.field(description="Movers across all pages.")
    leavers: int = strawberry.field(description="Leavers across all pages.")

    @classmethod
    def from_page(
        cls, page: preview.ChangePage, kind: preview.ChangeKind | None
    ) -> DirectoryChangePage:
        edges = [
            DirectoryChangeEdge(
                cursor=encode_cursor(c.directory_user.id),
                node=DirectoryChange(kind=c.kind, email=c.email, _change=c),
            )
            for c in page.items
        ]
        counts = page.counts
        total = {
            None: counts.joiners + counts.movers + counts.leavers,
            preview.ChangeKind.JOINER: counts.joiners,
            preview.ChangeKind.MOVER: counts.movers,
            preview.ChangeKind.LEAVER: counts.leavers,
        }[kind]
        return cls(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=page.has_previous_page,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=total,
            joiners=counts.joiners,
            movers=counts.movers,
            leavers=counts.leavers,
        )


@strawberry.type(description="How many changes `applyDirectoryChanges` applied.")
class AppliedChanges:
    joiners: int = strawberry.field(description="Members created or reactivated.")
    movers: int = strawberry.field(description="Members whose role changed.")
    leavers: int = strawberry.field(description="Members deactivated.")
