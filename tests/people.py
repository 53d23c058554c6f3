"""Signing people in from a test, the way the product's backend would get them signed in."""

from __future__ import annotations

from gatehouse.models import AuthenticationMethod, Member
from gatehouse.resolvers.sign_in.authentication import authenticate_member
from gatehouse.settings import Settings


async def signed_in(member: Member, settings: Settings) -> str:
    """The access token of a new session for `member`, as if they had accepted an invitation."""
    authentication = await authenticate_member(member, AuthenticationMethod.INVITATION, settings)
    return authentication.access_token
