"""SSO connection mutations."""

from __future__ import annotations

from typing import Annotated, cast

import strawberry
from strawberry.scalars import JSON

from gatehouse.models import Connection as ConnectionModel
from gatehouse.resolvers.sso import certificates, connections, sp_keys
from gatehouse.resolvers.sso.config import SamlIdp
from gatehouse.schema.context import Info
from gatehouse.schema.errors import mutate
from gatehouse.schema.mutations.maybe import given
from gatehouse.schema.types.common import UserError
from gatehouse.schema.types.connection import Connection


@strawberry.input(
    description="A SAML connection: paste the IdP's metadata XML, or give its fields."
)
class CreateSamlConnectionInput:
    organization_id: strawberry.ID = strawberry.field(description="The organization.")
    name: str = strawberry.field(description="Display name, e.g. `Okta`.")
    metadata_xml: str | None = strawberry.field(
        default=None, description="The IdP's SAML metadata document (takes precedence)."
    )
    metadata_url: str | None = strawberry.field(
        default=None,
        description="Where the IdP publishes its metadata; fetched now and on "
        "`refreshConnectionMetadata`.",
    )
    idp_entity_id: str | None = strawberry.field(default=None, description="IdP entity ID.")
    idp_sso_url: str | None = strawberry.field(default=None, description="IdP sign-in URL.")
    idp_certificates: list[str] | None = strawberry.field(
        default=None, description="IdP signing certificates (PEM or base64 DER)."
    )
    attribute_mapping: JSON | None = strawberry.field(
        default=None,
        description="Attribute names for `email`, `first_name`, `last_name`, `groups`.",
    )
    allow_idp_initiated: bool = strawberry.field(
        default=False, description="Accept sign-ins started at the IdP."
    )
    allow_sha1: bool = strawberry.field(
        default=False, description="Accept legacy SHA-1 signatures (not recommended)."
    )
    sign_authn_requests: bool = strawberry.field(
        default=False,
        description="Sign AuthnRequests (HTTP-Redirect binding) with the connection's SP key, "
        "for IdPs that require signed requests.",
    )


@strawberry.input(description="An OIDC connection, configured by issuer discovery.")
class CreateOidcConnectionInput:
    organization_id: strawberry.ID = strawberry.field(description="The organization.")
    name: str = strawberry.field(description="Display name.")
    issuer: str = strawberry.field(description="Issuer URL; discovery is fetched from it.")
    client_id: str = strawberry.field(description="Client ID registered at the IdP.")
    client_secret: str = strawberry.field(
        description="Client secret; stored encrypted, never shown again."
    )
    scopes: list[str] | None = strawberry.field(
        default=None, description="Scopes (default openid email profile)."
    )


@strawberry.input(description="Changes to a connection; omitted fields stay as they are.")
class UpdateConnectionInput:
    connection_id: strawberry.ID = strawberry.field(description="The connection.")
    name: strawberry.Maybe[str] = strawberry.field(description="New display name.")
    idp_entity_id: strawberry.Maybe[str | None] = strawberry.field(
        description="SAML: the IdP's entity ID (Issuer)."
    )
    idp_sso_url: strawberry.Maybe[str | None] = strawberry.field(
        description="SAML: the IdP's sign-in URL."
    )
    idp_certificates: strawberry.Maybe[list[str]] = strawberry.field(
        description="SAML: replaces the signing certificates (list old and new to rotate)."
    )
    attribute_mapping: strawberry.Maybe[JSON] = strawberry.field(
        description="SAML: attribute names for email, first_name, last_name, groups."
    )
    allow_idp_initiated: strawberry.Maybe[bool] = strawberry.field(
        description="SAML: accept IdP-initiated sign-ins."
    )
    client_secret: strawberry.Maybe[str] = strawberry.field(
        description="OIDC: a new client secret."
    )
    jit_provisioning: strawberry.Maybe[bool] = strawberry.field(
        description="Whether first sign-ins through this connection may create members (JIT)."
    )
    groups_claim: strawberry.Maybe[str | None] = strawberry.field(
        description="The SAML attribute or OIDC claim that lists groups; null: `groups`."
    )
    sign_authn_requests: strawberry.Maybe[bool] = strawberry.field(
        description="SAML: sign AuthnRequests with the connection's SP key."
    )


@strawberry.input(
    description="A new IdP signing certificate, added beside the current ones (renewal): "
    "a certificate, or the IdP's new metadata XML (its certificates are added)."
)
class AddSamlCertificateInput:
    connection_id: strawberry.ID = strawberry.field(description="The SAML connection.")
    certificate: str | None = strawberry.field(
        default=None, description="The new certificate (PEM or base64 DER)."
    )
    metadata_xml: str | None = strawberry.field(
        default=None, description="The IdP's new metadata document."
    )


@strawberry.input(description="An IdP signing certificate to remove (after a renewal).")
class RemoveSamlCertificateInput:
    connection_id: strawberry.ID = strawberry.field(description="The SAML connection.")
    fingerprint: str = strawberry.field(description="The certificate's SHA-256 fingerprint.")


@strawberry.input(description="The connection to act on.")
class ConnectionInput:
    connection_id: strawberry.ID = strawberry.field(description="The connection.")


@strawberry.type(description="Result of a connection mutation.")
class ConnectionPayload:
    connection: Connection | None = strawberry.field(description="The connection after the change.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="Result of `deleteConnection`.")
class DeleteConnectionPayload:
    deleted_id: strawberry.ID | None = strawberry.field(description="ID of the deleted connection.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


def _payload(model: ConnectionModel | None, errors: list[UserError]) -> ConnectionPayload:
    return ConnectionPayload(
        connection=Connection.from_model(model) if model is not None else None,
        user_errors=errors,
    )


@strawberry.type
class ConnectionMutations:
    @strawberry.mutation(
        description="Create a SAML connection (DRAFT). Requires `connections:write`."
    )
    async def create_saml_connection(
        self,
        info: Info,
        input: Annotated[
            CreateSamlConnectionInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> ConnectionPayload:
        idp = SamlIdp(
            entity_id=input.idp_entity_id,
            sso_url=input.idp_sso_url,
            certificates=list(input.idp_certificates or []),
        )
        return _payload(
            *await mutate(
                connections.create_saml_connection(
                    info.context.principal,
                    str(input.organization_id),
                    input.name,
                    metadata_xml=input.metadata_xml,
                    metadata_url=input.metadata_url,
                    allow_private_urls=info.context.settings.sso_allow_private_urls,
                    idp=idp,
                    # JSON is NewType(object): the mapping is stored as sent, unchecked as before.
                    attribute_mapping=cast("dict[str, str] | None", input.attribute_mapping),
                    allow_idp_initiated=input.allow_idp_initiated,
                    allow_sha1=input.allow_sha1,
                    sign_authn_requests=input.sign_authn_requests,
                    secret_key=info.context.settings.secret_key,
                )
            )
        )

    @strawberry.mutation(
        description="Create an OIDC connection (DRAFT) from issuer discovery. "
        "Requires `connections:write`."
    )
    async def create_oidc_connection(
        self,
        info: Info,
        input: Annotated[
            CreateOidcConnectionInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> ConnectionPayload:
        settings = info.context.settings
        return _payload(
            *await mutate(
                connections.create_oidc_connection(
                    info.context.principal,
                    str(input.organization_id),
                    input.name,
                    issuer=input.issuer,
                    client_id=input.client_id,
                    client_secret=input.client_secret,
                    secret_key=settings.secret_key,
                    scopes=input.scopes,
                    allow_private_urls=settings.sso_allow_private_urls,
                )
            )
        )

    @strawberry.mutation(
        description="Change a connection's settings. Requires `connections:write`."
    )
    async def update_connection(
        self,
        info: Info,
        input: Annotated[
            UpdateConnectionInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> ConnectionPayload:
        return _payload(
            *await mutate(
                connections.update_connection(
                    info.context.principal,
                    str(input.connection_id),
                    name=given(input.name),
                    idp_entity_id=given(input.idp_entity_id),
                    idp_sso_url=given(input.idp_sso_url),
                    certificates=given(input.idp_certificates),
                    attribute_mapping=given(input.attribute_mapping),
                    allow_idp_initiated=given(input.allow_idp_initiated),
                    client_secret=given(input.client_secret),
                    jit_provisioning=given(input.jit_provisioning),
                    groups_claim=given(input.groups_claim),
                    sign_authn_requests=given(input.sign_authn_requests),
                    secret_key=info.context.settings.secret_key,
                )
            )
        )

    @strawberry.mutation(
        description="Operators: make the connection ACTIVE. Organization admins: move it to "
        "VALIDATING; the first successful test sign-in makes it ACTIVE. "
        "Requires `connections:write`."
    )
    async def activate_connection(
        self,
        info: Info,
        input: Annotated[ConnectionInput, strawberry.argument(description="The mutation's input.")],
    ) -> ConnectionPayload:
        return _payload(
            *await mutate(
                connections.activate_connection(info.context.principal, str(input.connection_id))
            )
        )

    @strawberry.mutation(
        description="Re-read a SAML connection's metadata URL (certificates, endpoints). "
        "Requires `connections:write`."
    )
    async def refresh_connection_metadata(
        self,
        info: Info,
        input: Annotated[ConnectionInput, strawberry.argument(description="The mutation's input.")],
    ) -> ConnectionPayload:
        return _payload(
            *await mutate(
                connections.refresh_saml_metadata(
                    info.context.principal,
                    str(input.connection_id),
                    allow_private_urls=info.context.settings.sso_allow_private_urls,
                )
            )
        )

    @strawberry.mutation(
        description="SAML: add a new SP key pair. Both keys are published in the SP metadata "
        "and both decrypt; the old one signs until `retireSamlSpKey`. "
        "Requires `connections:write`."
    )
    async def rotate_saml_sp_key(
        self,
        info: Info,
        input: Annotated[ConnectionInput, strawberry.argument(description="The mutation's input.")],
    ) -> ConnectionPayload:
        return _payload(
            *await mutate(
                sp_keys.rotate_sp_key(
                    info.context.principal,
                    str(input.connection_id),
                    info.context.settings.secret_key,
                )
            )
        )

    @strawberry.mutation(
        description="SAML: retire the old SP key after `rotateSamlSpKey`; the new one signs and "
        "decrypts from now on. Requires `connections:write`."
    )
    async def retire_saml_sp_key(
        self,
        info: Info,
        input: Annotated[ConnectionInput, strawberry.argument(description="The mutation's input.")],
    ) -> ConnectionPayload:
        return _payload(
            *await mutate(sp_keys.retire_sp_key(info.context.principal, str(input.connection_id)))
        )

    @strawberry.mutation(
        description="SAML: add the IdP's new signing certificate beside the current ones, so "
        "both are accepted while the IdP switches (`connection.saml_certificate_renewed`). "
        "Requires `connections:write`."
    )
    async def add_saml_certificate(
        self,
        info: Info,
        input: Annotated[
            AddSamlCertificateInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> ConnectionPayload:
        return _payload(
            *await mutate(
                certificates.add_certificate(
                    info.context.principal,
                    str(input.connection_id),
                    certificate=input.certificate,
                    metadata_xml=input.metadata_xml,
                )
            )
        )

    @strawberry.mutation(
        description="SAML: remove an IdP signing certificate (the last one cannot be removed "
        "from an active connection). Requires `connections:write`."
    )
    async def remove_saml_certificate(
        self,
        info: Info,
        input: Annotated[
            RemoveSamlCertificateInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> ConnectionPayload:
        return _payload(
            *await mutate(
                certificates.remove_certificate(
                    info.context.principal, str(input.connection_id), input.fingerprint
                )
            )
        )

    @strawberry.mutation(
        description="Stop sign-ins through the connection. Requires `connections:write`."
    )
    async def deactivate_connection(
        self,
        info: Info,
        input: Annotated[ConnectionInput, strawberry.argument(description="The mutation's input.")],
    ) -> ConnectionPayload:
        return _payload(
            *await mutate(
                connections.deactivate_connection(info.context.principal, str(input.connection_id))
            )
        )

    @strawberry.mutation(description="Delete the connection. Requires `connections:write`.")
    async def delete_connection(
        self,
        info: Info,
        input: Annotated[ConnectionInput, strawberry.argument(description="The mutation's input.")],
    ) -> DeleteConnectionPayload:
        deleted, errors = await mutate(
            connections.delete_connection(info.context.principal, str(input.connection_id))
        )
        return DeleteConnectionPayload(
            deleted_id=strawberry.ID(deleted) if deleted else None, user_errors=errors
        )
