"""Where a connection's IdP sends people back: the SP's URLs, fixed per connection and built
from GATEHOUSE_BASE_URL, never from a request's Host (SECURITY 13a). The SSO routes serve them;
the API shows them so an admin can register them at the IdP."""

from __future__ import annotations

from dataclasses import dataclass

from gatehouse.settings import Settings


@dataclass(frozen=True, slots=True)
class SpUrls:
    entity_id: str
    acs_url: str
    metadata_url: str


def sp_urls(settings: Settings, connection_id: str) -> SpUrls:
    """One entity ID per connection (13a), so an assertion for B can never serve A."""
    base = settings.base_url.rstrip("/")
    return SpUrls(
        entity_id=f"{base}/sso/saml/{connection_id}",
        acs_url=f"{base}/sso/saml/{connection_id}/acs",
        metadata_url=f"{base}/sso/saml/{connection_id}/metadata",
    )


def callback_url(settings: Settings, connection_id: str) -> str:
    """The OIDC redirect URI to register at the IdP."""
    return f"{settings.base_url.rstrip('/')}/sso/oidc/{connection_id}/callback"
