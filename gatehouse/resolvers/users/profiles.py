"""A user as events and exports show it, and changes to the address people know them by."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from gatehouse.events import record_event
from gatehouse.models import User


def user_data(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "email_verified": user.email_verified,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "external_id": user.external_id,
        "metadata": user.metadata or {},
    }


class EmailChange(StrEnum):
    UNCHANGED = "UNCHANGED"
    CHANGED = "CHANGED"
    CONFLICT = "CONFLICT"


async def change_email(user: User, new_email: str, source: dict[str, Any]) -> EmailChange:
    """Move the person to an address the acting organization owns (the caller checked the
    linking rule). An address another user holds is never merged into silently: it is held
    as `pending_email`, and `user.email_conflict` tells the operator, who can `mergeUsers`."""
    if new_email == user.email:
        return EmailChange.UNCHANGED
    other = await User.filter(email=new_email).exclude(id=user.id).first()
    if other is not None:
        if user.pending_email != new_email:
            user.pending_email = new_email
            await user.save(update_fields=["pending_email", "updated_at"])
            # Deployment-level: which user holds an address is the operator's to see.
            await record_event(
                "user.email_conflict",
                None,
                {
                    "user_id": user.id,
                    "email": new_email,
                    "held_by_user_id": other.id,
                    **source,
                },
            )
        return EmailChange.CONFLICT
    previous = user.email
    user.email = new_email
    user.email_verified = True
    user.pending_email = None
    await user.save(update_fields=["email", "email_verified", "pending_email", "updated_at"])
    await record_event(
        "user.updated", None, {**user_data(user), "previous_email": previous, **source}
    )
    return EmailChange.CHANGED
