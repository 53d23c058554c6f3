"""IdP profiles as data: which tolerated deviations (quirks) each directory type may send.

Every quirk is off unless a profile names it, so a fix for one IdP cannot change another's
behaviour; GENERIC (DirectoryType.GENERIC_SCIM) accepts every known quirk, for IdPs that have
no profile yet. Each profile's sessions are replayed in tests/dsync/transcripts/, written from
the IdP's public SCIM documentation.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gatehouse.models import DirectoryType


class Quirk(StrEnum):
    # `"value": "False"` for a boolean attribute (Entra ID sends booleans as strings).
    STRING_BOOLEANS = "STRING_BOOLEANS"
    # `"op": "Replace"` (Entra ID capitalises op values; RFC 7644 §3.5.2 writes them lowercase).
    CAPITALISED_OPS = "CAPITALISED_OPS"
    # `{"op": "remove", "path": "members[value eq \"…\"]"}` (Okta, JumpCloud, Google).
    MEMBER_FILTER_REMOVAL = "MEMBER_FILTER_REMOVAL"
    # `{"op": "Remove", "path": "members", "value": [{"value": "…"}]}`: a remove with a value
    # list, which RFC 7644 does not define (Entra ID, OneLogin).
    MEMBER_VALUE_LIST_REMOVAL = "MEMBER_VALUE_LIST_REMOVAL"
    # `{"op": "replace", "value": {"active": false}}`: no path, an object of attributes (Okta's
    # deactivation and group rename, Entra ID, Google).
    PATHLESS_PATCH = "PATHLESS_PATCH"
    # A user without emails whose userName is an address (Entra ID's userName is the UPN):
    # the userName is the email.
    USERNAME_AS_EMAIL = "USERNAME_AS_EMAIL"
    # The whole user on POST and PUT, read-only `groups` included (Okta's PUT-based updates,
    # OneLogin, JumpCloud): `groups` is ignored (it comes from /Groups) instead of refused.
    PUT_WHOLE_USER = "PUT_WHOLE_USER"
    # `"manager": "<id>"` in the enterprise extension, on POST and in a PATCH to
    # `…:enterprise:2.0:User:manager` (Entra ID's default mapping); RFC 7643 §4.3 makes manager
    # an object, so it is read as `{"value": "<id>"}`, and an empty string as no manager.
    STRING_MANAGER = "STRING_MANAGER"


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    quirks: frozenset[Quirk]

    def allows(self, quirk: Quirk) -> bool:
        return quirk in self.quirks

    def refusal(self, what: str) -> str:
        """The error detail for a deviation this profile does not accept."""
        return f"{what} is not accepted from this directory (its {self.name} profile)."


GENERIC = Profile("GENERIC", frozenset(Quirk))

PROFILES: dict[DirectoryType, Profile] = {
    DirectoryType.ENTRA: Profile(
        "ENTRA",
        frozenset(
            {
                Quirk.STRING_BOOLEANS,
                Quirk.CAPITALISED_OPS,
                Quirk.MEMBER_VALUE_LIST_REMOVAL,
                Quirk.PATHLESS_PATCH,
                Quirk.USERNAME_AS_EMAIL,
                Quirk.STRING_MANAGER,
            }
        ),
    ),
    DirectoryType.OKTA: Profile(
        "OKTA",
        frozenset({Quirk.PATHLESS_PATCH, Quirk.MEMBER_FILTER_REMOVAL, Quirk.PUT_WHOLE_USER}),
    ),
    DirectoryType.ONELOGIN: Profile(
        "ONELOGIN", frozenset({Quirk.PUT_WHOLE_USER, Quirk.MEMBER_VALUE_LIST_REMOVAL})
    ),
    DirectoryType.JUMPCLOUD: Profile(
        "JUMPCLOUD", frozenset({Quirk.PUT_WHOLE_USER, Quirk.MEMBER_FILTER_REMOVAL})
    ),
    DirectoryType.GOOGLE: Profile(
        "GOOGLE", frozenset({Quirk.PATHLESS_PATCH, Quirk.MEMBER_FILTER_REMOVAL})
    ),
    DirectoryType.GENERIC_SCIM: GENERIC,
}


def profile_for(directory_type: DirectoryType) -> Profile:
    return PROFILES.get(directory_type, GENERIC)
