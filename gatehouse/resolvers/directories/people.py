"""Which person a directory user is: the linking rule (users/linking.py) applied to what a
directory pushes, creating the user only where the rule allows. Split from sync.py."""

from __future__ import annotations

from gatehouse.models import Directory, DirectoryUser, Member, User, batch, fitted_name, reads
from gatehouse.resolvers.users.linking import domain_owner, may_move, organization_owns
from gatehouse.resolvers.users.profiles import change_email


async def find_user(directory: Directory, diru: DirectoryUser) -> tuple[User | None, bool]:
    """The person, and whether the user is new: by the identity already linked, then by an
    email the linking rule lets this directory use, else a new user. None when the address
    may not be linked here (users/linking.py): the directory user is then held."""
    user = await reads.first(User, id=diru.user_id) if diru.user_id else None
    if user is not None:
        await follow_email(directory, diru, user)
        return user, False
    assert diru.email is not None
    owner = await domain_owner(diru.email)  # one read for both questions the rule asks
    owned = owner == directory.organization_id
    user = await reads.first(User, email=diru.email)
    if user is not None:
        return (user, False) if owned else (None, False)
    if not owned and owner is not None:
        return None, False  # another organization's domain: not this directory's to create
    # A directory user's names may be twice as long as a User's (the IdP's limit, not ours).
    user = User(
        email=diru.email,
        first_name=fitted_name(diru.given_name),
        last_name=fitted_name(diru.family_name),
    )
    await batch.create(user)  # with the request's other new rows, in a SCIM request
    return user, True


async def follow_email(directory: Directory, diru: DirectoryUser, user: User) -> None:
    """A new address from the IdP reaches the person when this organization owns both."""
    if (
        diru.email
        and diru.email != user.email
        and await may_move(directory.organization_id, user.email, diru.email)
    ):
        await change_email(
            user, diru.email, {"directory_id": directory.id, "directory_user_id": diru.id}
        )


async def would_hold(directory: Directory, diru: DirectoryUser) -> bool:
    """What `find_user` would decide, without creating anyone: whether the linking rule holds
    this directory user until the person proves the address."""
    if diru.user_id or diru.email is None:
        return False
    owner = await domain_owner(diru.email)
    if owner == directory.organization_id:
        return False
    if await User.filter(email=diru.email).exists():
        return True
    return owner is not None


async def existing_member(directory: Directory, diru: DirectoryUser) -> Member | None:
    """The organization's member this directory user is, by the linked identity or by an
    address the organization owns (the linking rule), without creating anyone."""
    user = await User.get_or_none(id=diru.user_id) if diru.user_id else None
    if (
        user is None
        and diru.email
        and await organization_owns(directory.organization_id, diru.email)
    ):
        user = await User.get_or_none(email=diru.email)
    if user is None:
        return None
    return await Member.get_or_none(organization_id=directory.organization_id, user_id=user.id)
