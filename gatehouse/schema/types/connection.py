"""SSO connections and the values an admin pastes into their identity provider."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from gatehouse import models
from gatehouse.models import ConnectionState as ConnectionStateModel
from gatehouse.models import ConnectionType as ConnectionTypeModel
from gatehouse.resolvers.recording import attempts as recorded_attempts
from gatehouse.resolvers.sso.certificates import fingerprint
from gatehouse.resolvers.sso.config import certificate_expired
from gatehouse.resolvers.sso.endpoints import callback_url, sp_urls
from gatehouse.resolvers.sso.sp_keys import public_keys
from gatehouse.schema.context import Info
from gatehouse.schema.errors import query
from gatehouse.schema.types.common import After, First, Node
from gatehouse.schema.types.recording import SignInAttemptPage

if TYPE_CHECKING:
    from gatehouse.schema.types.organization import Organization
    from gatehouse.schema.types.product_roles import ConnectionGroupRoleMapping

OrganizationRef = Annotated["Organization", strawberry.lazy("gatehouse.schema.types.organization")]
ConnectionGroupRoleMappingRef = Annotated[
    "ConnectionGroupRoleMapping", strawberry.lazy("gatehouse.schema.types.product_roles")
]

# strawberry.enum returns the same class: alias the class so mypy reads the name as a type.
strawberry.enum(ConnectionTypeModel, name="ConnectionType", description="The SSO protocol.")
ConnectionType = ConnectionTypeModel
# strawberry.enum returns the same class: alias the class so mypy reads the name as a type.
strawberry.enum(
    ConnectionStateModel,
    name="ConnectionState",
    description="DRAFT: being configured; VALIDATING: waiting for a successful test sign-in; "
    "ACTIVE: people sign in through it; INACTIVE: switched off. Only VALIDATING and ACTIVE "
    "connections accept sign-ins.",
)
ConnectionState = ConnectionStateModel


@strawberry.type(description="An IdP signing certificate. Requires `connections:read`.")
class IdpCertificate:
    fingerprint: str = strawberry.field(description="SHA-256 of the certificate, hex.")
    subject: str = strawberry.field(description="The certificate's subject DN.")
    not_before: datetime = strawberry.field(description="Start of validity (UTC).")
    not_after: datetime = strawberry.field(description="Expiry (UTC); rotate before this.")
    expired: bool = strawberry.field(description="Whether it has expired already.")


@strawberry.type(
    description="One of the connection's own SP key pairs (its certificate; the private key "
    "never leaves the server). Requires `connections:read`."
)
class SpCertificate:
    id: strawberry.ID = strawberry.field(description="The key's ID.")
    certificate: str = strawberry.field(description="The X.509 certificate, base64 DER.")
    not_after: datetime = strawberry.field(description="Expiry of the certificate (UTC).")
    created_at: datetime = strawberry.field(description="When the key was made (UTC).")
    signing: bool = strawberry.field(
        description="Whether it signs AuthnRequests now (the oldest key, until retired); "
        "every key decrypts."
    )


@strawberry.type(
    description="SAML settings: the SP values to paste into the IdP, and the IdP's values. "
    "Requires `connections:read`."
)
class SamlSettings:
    sp_entity_id: str = strawberry.field(description="Audience / SP entity ID for the IdP.")
    acs_url: str = strawberry.field(description="Assertion Consumer Service (reply) URL.")
    sp_metadata_url: str = strawberry.field(description="SP metadata, for IdPs that import it.")
    idp_entity_id: str | None = strawberry.field(description="The IdP's entity ID (Issuer).")
    idp_sso_url: str | None = strawberry.field(description="The IdP's sign-in URL.")
    idp_certificates: list[IdpCertificate] = strawberry.field(
        description="Signing certificates; a response signed by any of them is accepted."
    )
    allow_idp_initiated: bool = strawberry.field(
        description="Whether sign-ins started at the IdP (no AuthnRequest) are accepted."
    )
    allow_sha1: bool = strawberry.field(description="Whether legacy SHA-1 signatures pass.")
    sign_authn_requests: bool = strawberry.field(
        description="Whether AuthnRequests are signed (HTTP-Redirect binding signature)."
    )
    sp_certificates: list[SpCertificate] = strawberry.field(
        description="The SP's own certificates, as published in its metadata for signing and "
        "encryption: two during a key rotation (`rotateSamlSpKey`)."
    )


@strawberry.type(description="OIDC settings. Requires `connections:read`.")
class OidcSettings:
    issuer: str | None = strawberry.field(description="The provider's issuer URL.")
    client_id: str | None = strawberry.field(description="Client ID registered at the IdP.")
    redirect_uri: str = strawberry.field(description="Redirect URI to register at the IdP.")
    scopes: list[str] = strawberry.field(description="Scopes requested.")


@strawberry.type(
    description="An organization's SSO identity provider. Requires `connections:read`."
)
class Connection(Node):
    name: str = strawberry.field(description="Display name.")
    type: ConnectionType = strawberry.field(description="SAML or OIDC.")
    state: ConnectionState = strawberry.field(description="Lifecycle state.")
    jit_provisioning: bool = strawberry.field(
        description="Whether a first sign-in through this connection may create the member "
        "(Just-in-Time), when the organization's policy allows JIT too. Invitations and "
        "domain enrollment apply either way."
    )
    groups_claim: str | None = strawberry.field(
        description="The SAML attribute or OIDC claim listing the person's groups; null: "
        "`groups` (SAML also tries `memberOf` and the Microsoft groups claim)."
    )
    created_at: datetime = strawberry.field(description="Creation time (UTC).")
    _model: strawberry.Private[models.Connection]

    @classmethod
    def from_model(cls, conn: models.Connection) -> Connection:
        return cls(
            id=strawberry.ID(conn.id),
            name=conn.name,
            type=conn.type,
            state=conn.state,
            jit_provisioning=conn.jit_provisioning,
            groups_claim=conn.groups_claim,
            created_at=conn.created_at,
            _model=conn,
        )

    @strawberry.field(
        description="IdP groups mapped to roles, evaluated at every sign-in, highest priority "
        "first. Requires `connections:read`."
    )
    async def group_role_mappings(self, info: Info) -> list[ConnectionGroupRoleMappingRef]:
        from gatehouse.resolvers.sso.group_roles import list_group_role_mappings
        from gatehouse.schema.errors import query
        from gatehouse.schema.types.product_roles import ConnectionGroupRoleMapping

        rows = await query(list_group_role_mappings(info.context.principal, self._model.id))
        return [ConnectionGroupRoleMapping.from_model(m) for m in rows]

    @strawberry.field(description="The organization it belongs to.")
    async def organization(self, info: Info) -> OrganizationRef | None:
        from gatehouse.schema.types.organization import Organization

        org = await info.context.loaders.organization.load(self._model.organization_id)
        return Organization.from_model(org) if org else None

    @strawberry.field(description="SAML settings; null for OIDC connections.")
    def saml(self, info: Info) -> SamlSettings | None:
        m = self._model
        if m.type is not ConnectionTypeModel.SAML:
            return None
        urls = sp_urls(info.context.settings, m.id)
        return SamlSettings(
            sp_entity_id=urls.entity_id,
            acs_url=urls.acs_url,
            sp_metadata_url=urls.metadata_url,
            idp_entity_id=m.saml_idp_entity_id,
            idp_sso_url=m.saml_idp_sso_url,
            idp_certificates=[
                IdpCertificate(
                    fingerprint=fingerprint(c),
                    subject=c["subject"],
                    not_before=datetime.fromisoformat(c["not_before"]),
                    not_after=datetime.fromisoformat(c["not_after"]),
                    expired=certificate_expired(c),
                )
                for c in m.saml_idp_certificates
            ],
            allow_idp_initiated=m.saml_allow_idp_initiated,
            allow_sha1=m.saml_allow_sha1,
            sign_authn_requests=m.saml_sign_authn_requests,
            sp_certificates=[
                SpCertificate(
                    id=strawberry.ID(k["id"]),
                    certificate=k["certificate"],
                    not_after=datetime.fromisoformat(k["not_after"]),
                    created_at=datetime.fromisoformat(k["created_at"]),
                    signing=i == 0,
                )
                for i, k in enumerate(public_keys(m))
            ],
        )

    @strawberry.field(description="OIDC settings (never the client secret); null for SAML.")
    def oidc(self, info: Info) -> OidcSettings | None:
        m = self._model
        if m.type is not ConnectionTypeModel.OIDC:
            return None
        return OidcSettings(
            issuer=m.oidc_issuer,
            client_id=m.oidc_client_id,
            redirect_uri=callback_url(info.context.settings, m.id),
            scopes=list(m.oidc_scopes),
        )

    @strawberry.field(
        description="The last sign-in attempts through it (GATEHOUSE_RECORDER_SIZE, default "
        "500), newest first: outcome, reason, the IdP's issuer and NameID format, and the "
        "attributes received, masked. Requires `connections:read`."
    )
    async def sign_in_attempts(
        self, info: Info, first: First = None, after: After = None
    ) -> SignInAttemptPage:
        page = await query(
            recorded_attempts.list_attempts(info.context.principal, self._model, first, after)
        )
        return SignInAttemptPage.from_page(page)
