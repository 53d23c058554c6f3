"""Erasure and access requests (GDPR Articles 17 and 15): `deleteUser` and `exportUser`.

Deleting a user removes, in one transaction, everything that exists because of the person:
memberships (and with them sessions and refresh tokens), linked SSO identities, the directory
users that mirror them (a later push from the IdP creates them anew), invitations to their
address, sign-in codes and hand-offs in flight. Events stay, since other systems' cursors and
audits count on them, but the person's personal data (address, names, raw directory
attributes) is scrubbed from each payload that holds it, keeping the ids. Other people's events
are not touched: only events that name the person (by one of their ids or their address) are
read, and inside those only what is about the person is changed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from tortoise import Tortoise
from tortoise.transactions import in_transaction

from gatehouse.auth.permissions import Permission
from gatehouse.auth.principal import Principal
from gatehouse.events import record_event
from gatehouse.models import (
    AuditEntry,
    AuditExport,
    Delivery,
    DirectoryUser,
    Event,
    Invitation,
    LinkedIdentity,
    Member,
    Role,
    Session,
    SignInCode,
    SsoCode,
    User,
)
from gatehouse.resolvers.access import require
from gatehouse.resolvers.directories.sync import directory_user_data
from gatehouse.resolvers.members import membership_data
from gatehouse.resolvers.users.lifecycle import user_for_change
from gatehouse.resolvers.users.profiles import user_data

ERASED = "[erased]"
# Keys whose value is personal data when the object holding them is about the person.
PERSONAL_KEYS = frozenset(
    {
        "email",
        "previous_email",
        "first_name",
        "last_name",
        "given_name",
        "family_name",
        "display_name",
        "user_name",
        "emails",
        "name_id",
        "subject",
        "raw_attributes",
        "resource",
    }
)
ID_KEYS = ("id", "user_id", "member_id", "directory_user_id", "accepted_by_user_id")


@dataclass(frozen=True, slots=True)
class Person:
    """What identifies the person in stored payloads."""

    email: str
    ids: frozenset[str]
    names: tuple[str, ...]

    def is_about(self, node: dict[str, Any]) -> bool:
        if any(node.get(key) in self.ids for key in ID_KEYS):
            return True
        email = node.get("email")
        return isinstance(email, str) and email.lower() == self.email

    def scrub_text(self, text: str, *, names: bool) -> str:
        text = re.sub(re.escape(self.email), ERASED, text, flags=re.IGNORECASE)
        if names:
            for name in self.names:
                text = re.sub(rf"\b{re.escape(name)}\b", ERASED, text, flags=re.IGNORECASE)
        return text

    def names_row(self, text: str) -> bool:
        """Whether a line of text names the person (an id or the address)."""
        lowered = text.lower()
        return self.email in lowered or any(i.lower() in lowered for i in self.ids)

    def scrub(self, node: Any, *, about: bool = False) -> Any:
        """The payload with the person's data erased; everything else as it was."""
        if isinstance(node, dict):
            about = about or self.is_about(node)
            return {
                key: None
                if about and key in PERSONAL_KEYS and value is not None
                else self.scrub(value, about=about)
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [self.scrub(item, about=about) for item in node]
        if isinstance(node, str):
            return self.scrub_text(node, names=about)
        return node


async def _person(user: User) -> Person:
    member_ids = await Member.filter(user_id=user.id).values_list("id", flat=True)
    diru_ids = await DirectoryUser.filter(user_id=user.id).values_list("id", flat=True)
    held = await DirectoryUser.filter(email=user.email).values_list("id", flat=True)
    names = tuple(n for n in (user.first_name, user.last_name) if n and len(n) > 1)
    diru_names = await DirectoryUser.filter(id__in=[*diru_ids, *held]).values_list(
        "given_name", "family_name", "display_name"
    )
    extra = tuple(n for row in diru_names for n in row if n and len(n) > 1)
    return Person(
        email=user.email.lower(),
        ids=frozenset({user.id, *map(str, member_ids), *map(str, diru_ids), *map(str, held)}),
        names=tuple(dict.fromkeys(names + extra)),
    )


async def _ids_naming(person: Person, table: str, columns: tuple[str, ...]) -> list[str]:
    """Rows whose JSON or text columns name the person by an id or the address (a text
    search: payloads differ in shape by event type)."""
    conn = Tortoise.get_connection("default")
    postgres = conn.capabilities.dialect == "postgres"
    terms = [person.email, *sorted(person.ids)]
    checks = [(column, term) for column in columns for term in terms]
    if postgres:
        where = " OR ".join(f"{c}::text ILIKE ${i + 1}" for i, (c, _) in enumerate(checks))
    else:
        where = " OR ".join(f"{c} LIKE ?" for c, _ in checks)
    _, rows = await conn.execute_query(
        f"SELECT id FROM {table} WHERE {where} ORDER BY id",  # noqa: S608 - placeholders only
        [f"%{term}%" for _, term in checks],
    )
    return [row["id"] for row in rows]


async def _events_naming(person: Person, *, lock: bool = False) -> list[Event]:
    ids = await _ids_naming(person, "events", ("data",))
    if not ids:
        return []
    found = Event.filter(id__in=ids).order_by("id")
    return list(await (found.select_for_update() if lock else found))


async def _scrub_audit_trail(person: Person) -> None:
    """The audit trail keeps the person's ids (who had access stays answerable) and loses
    their address and names: in entries, and in exports already written."""
    entry_ids = await _ids_naming(person, "audit_entries", ("metadata", "targets", "actor"))
    for entry in await AuditEntry.filter(id__in=entry_ids).select_for_update():
        scrubbed = [person.scrub(x) for x in (entry.metadata, entry.targets, entry.actor)]
        if scrubbed != [entry.metadata, entry.targets, entry.actor]:
            entry.metadata, entry.targets, entry.actor = scrubbed
            await entry.save(update_fields=["metadata", "targets", "actor"])
    export_ids = await _ids_naming(person, "audit_exports", ("jsonl",))
    for export in await AuditExport.filter(id__in=export_ids).select_for_update():
        lines = [json.loads(line) for line in export.jsonl.splitlines() if line]
        export.jsonl = "".join(
            json.dumps(person.scrub(line), separators=(",", ":")) + "\n" for line in lines
        )
        export.csv = "".join(
            person.scrub_text(row, names=True) if person.names_row(row) else row
            for row in export.csv.splitlines(keepends=True)
        )
        await export.save(update_fields=["jsonl", "csv"])


async def delete_user(principal: Principal, user_id: str) -> str:
    require(principal, Permission.USERS_MANAGE)
    async with in_transaction():
        user = await user_for_change(user_id, "userId")
        person = await _person(user)
        members = list(await Member.filter(user_id=user.id).order_by("id").select_for_update())
        for member in members:
            role = await Role.get(id=member.role_id)
            await Session.filter(member_id=member.id).delete()
            await member.delete()
            await record_event(
                "organization_membership.deleted",
                member.organization_id,
                membership_data(member, role.slug),
            )
        mirrors = DirectoryUser.filter(id__in=[i for i in person.ids if i.startswith("diru_")])
        await mirrors.delete()
        await LinkedIdentity.filter(user_id=user.id).delete()
        await Invitation.filter(email=user.email).delete()
        await SignInCode.filter(email=user.email).delete()
        await SsoCode.filter(user_id=user.id).delete()
        await user.delete()
        for event in await _events_naming(person, lock=True):
            scrubbed = person.scrub(event.data)
            if scrubbed != event.data:
                event.data = scrubbed
                await event.save(update_fields=["data"])
        await _scrub_audit_trail(person)
        for delivery in await Delivery.filter(error__icontains=person.email):
            delivery.error = person.scrub_text(delivery.error or "", names=False)
            await delivery.save(update_fields=["error"])
        await record_event(
            "user.deleted",
            None,
            {
                "user_id": user_id,
                "member_ids": [m.id for m in members],
                "organization_ids": sorted({m.organization_id for m in members}),
            },
        )
    return user_id


async def export_user(principal: Principal, user_id: str) -> dict[str, Any] | None:
    """Everything Gatehouse holds about the person, as JSON; None for an unknown user."""
    require(principal, Permission.USERS_MANAGE)
    user = await User.get_or_none(id=user_id)
    if user is None:
        return None
    person = await _person(user)
    members = await Member.filter(user_id=user.id).order_by("id")
    roles = dict(await Role.filter(id__in=[m.role_id for m in members]).values_list("id", "slug"))
    sessions = await Session.filter(member_id__in=[m.id for m in members]).order_by("id")
    identities = await LinkedIdentity.filter(user_id=user.id).order_by("id")
    mirrors = await DirectoryUser.filter(id__in=list(person.ids)).order_by("id")
    invitations = await Invitation.filter(email=user.email).order_by("id")
    return {
        "user": {
            **user_data(user),
            "pending_email": user.pending_email,
            "created_at": user.created_at.isoformat(),
            "updated_at": user.updated_at.isoformat(),
        },
        "memberships": [membership_data(m, roles.get(m.role_id)) for m in members],
        "sessions": [
            {
                "id": s.id,
                "member_id": s.member_id,
                "authentication_method": s.authentication_method,
                "ip_address": s.ip_address,
                "user_agent": s.user_agent,
                "created_at": s.created_at.isoformat(),
                "expires_at": s.expires_at.isoformat(),
                "revoked_at": s.revoked_at.isoformat() if s.revoked_at else None,
            }
            for s in sessions
        ],
        "sso_identities": [
            {
                "connection_id": i.connection_id,
                "subject": i.subject,
                "last_sign_in_at": i.last_sign_in_at.isoformat() if i.last_sign_in_at else None,
            }
            for i in identities
        ],
        "directory_users": [{**directory_user_data(d), "resource": d.resource} for d in mirrors],
        "invitations": [
            {
                "id": i.id,
                "organization_id": i.organization_id,
                "state": i.state.value,
                "created_at": i.created_at.isoformat(),
            }
            for i in invitations
        ],
        "events": [
            {"id": e.id, "type": e.type, "organization_id": e.organization_id, "data": e.data}
            for e in await _events_naming(person)
        ],
    }
