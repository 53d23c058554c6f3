"""The linking rule, one for every way a person arrives (SSO, SCIM, invitations, emailed codes).

An organization's identity (its IdP's subject, its directory's user) links to an existing user
only through an address the organization has proven it owns (one of its verified domains), or
one the person has proven themselves (an emailed code, an invitation link). Anything else would
let one tenant attach itself to, read or change another tenant's person: organization A's
directory pushing `bob@b.com` must not reach the user Bob's employer B manages.

A directory user that fails the rule is mirrored but held (`DirectoryUser.awaiting_proof`), with
no member, until the person proves the address; then `directories.sync.claim_held` links it.
"""

from __future__ import annotations

from gatehouse.resolvers.domains.lifecycle import verified_domain_for_email


async def domain_owner(email: str) -> str | None:
    """The organization that verified the address's domain, if any: both questions below
    in one read."""
    domain = await verified_domain_for_email(email)
    return domain.organization_id if domain is not None else None


async def organization_owns(organization_id: str, email: str) -> bool:
    """Whether the address is at a domain this organization has verified."""
    domain = await verified_domain_for_email(email)
    return domain is not None and domain.organization_id == organization_id


async def owned_elsewhere(organization_id: str, email: str) -> bool:
    """Whether another organization has verified the address's domain."""
    domain = await verified_domain_for_email(email)
    return domain is not None and domain.organization_id != organization_id


async def may_move(organization_id: str, current: str, new: str) -> bool:
    """Whether this organization's IdP or directory may move a person from `current` to `new`:
    only between addresses it owns. Another organization's IdP saying something else about
    the same person does not move them away from the address their own organization owns."""
    return await organization_owns(organization_id, new) and await organization_owns(
        organization_id, current
    )
