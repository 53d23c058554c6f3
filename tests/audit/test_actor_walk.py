"""Every mutation records its actor: a walk over every mutation in the schema, each run by
the operator's key in one world, asserting that every event it writes names that key and the
request. A mutation added to the schema without a step here fails the walk."""

from __future__ import annotations

import os
from typing import Any

import pytest

from gatehouse.auth.principal import operator_principal
from gatehouse.models import ApiKey, Delivery, Event, Member, SignInCode
from gatehouse.resolvers import members
from gatehouse.resolvers.invitations import lifecycle as invitation_lifecycle
from gatehouse.resolvers.sign_in import codes
from gatehouse.settings import Settings
from tests.policy.conftest import APP, BASE

# Steps in order; each: (mutation, document, variables from the world, what to keep).
# `$…` in variables are filled from the world as it grows.
STEPS: list[tuple[str, str, dict[str, Any], dict[str, str]]] = [
    (
        "createOrganization",
        'createOrganization(input: {name: "Walk"}) { organization { id } userErrors { code } }',
        {},
        {"org": "organization.id"},
    ),
    (
        "updateOrganization",
        'updateOrganization(input: {id: $org, name: "Walk 2"}) { userErrors { code } }',
        {"org": "ID!"},
        {},
    ),
    (
        "updateOrganizationPolicy",
        "updateOrganizationPolicy(input: {organizationId: $org, "
        "jitProvisioning: true}) { userErrors { code } }",
        {"org": "ID!"},
        {},
    ),
    (
        "createMember",
        'createMember(input: {organizationId: $org, email: "ada@walk.example", '
        'roleSlug: "admin"}) { member { id user { id } } userErrors { code } }',
        {"org": "ID!"},
        {"admin": "member.id"},
    ),
    (
        "createRole",
        'createRole(input: {organizationId: $org, slug: "auditor", name: "A", '
        'permissions: ["members:read"]}) { role { id } userErrors { code } }',
        {"org": "ID!"},
        {"role": "role.id"},
    ),
    (
        "updateRole",
        'updateRole(input: {roleId: $role, name: "Auditor"}) { userErrors { code } }',
        {"role": "ID!"},
        {},
    ),
    (
        "createPermission",
        'createPermission(input: {slug: "videos:watch", name: "Watch"}) '
        "{ permission { id } userErrors { code } }",
        {},
        {"permission": "permission.id"},
    ),
    (
        "updatePermission",
        'updatePermission(input: {permissionId: $permission, name: "Watch videos"}) '
        "{ userErrors { code } }",
        {"permission": "ID!"},
        {},
    ),
    (
        "createEnvironmentRole",
        'createEnvironmentRole(input: {slug: "viewer", name: "Viewer", '
        'permissions: ["videos:watch"]}) { userErrors { code message } }',
        {},
        {},
    ),
    (
        "updateEnvironmentRole",
        'updateEnvironmentRole(input: {roleSlug: "viewer", name: "Viewers"}) '
        "{ userErrors { code message } }",
        {},
        {},
    ),
    (
        "overrideEnvironmentRole",
        "overrideEnvironmentRole(input: {organizationId: $org, roleSlug: "
        '"viewer", permissions: ["members:read"]}) { userErrors { code message } }',
        {"org": "ID!"},
        {},
    ),
    (
        "resetEnvironmentRole",
        "resetEnvironmentRole(input: {organizationId: $org, roleSlug: "
        '"viewer"}) { userErrors { code message } }',
        {"org": "ID!"},
        {},
    ),
    (
        "setDefaultEnvironmentRole",
        'setDefaultEnvironmentRole(input: {roleSlug: "viewer"}) { userErrors { code message } }',
        {},
        {},
    ),
    (
        "updateMemberRole",
        'updateMemberRole(input: {memberId: $member, roleSlug: "auditor"}) { userErrors { code } }',
        {"member": "ID!"},
        {},
    ),
    (
        "deactivateMember",
        "deactivateMember(input: {memberId: $member}) { userErrors { code } }",
        {"member": "ID!"},
        {},
    ),
    (
        "reactivateMember",
        "reactivateMember(input: {memberId: $member}) { userErrors { code } }",
        {"member": "ID!"},
        {},
    ),
    (
        "setMemberSsoBypass",
        "setMemberSsoBypass(input: {memberId: $admin, mayBypassSso: true}) { userErrors { code } }",
        {"admin": "ID!"},
        {},
    ),
    (
        "addDomain",
        'addDomain(input: {organizationId: $org, domain: "walk.example"}) '
        "{ domain { id } userErrors { code } }",
        {"org": "ID!"},
        {"domain": "domain.id"},
    ),
    (
        "verifyDomain",
        "verifyDomain(input: {domainId: $domain, strategy: MANUAL}) { userErrors { code } }",
        {"domain": "ID!"},
        {},
    ),
    (
        "setDomainEnrollment",
        "setDomainEnrollment(input: {domainId: $domain, enrollment: "
        "REQUEST}) { userErrors { code } }",
        {"domain": "ID!"},
        {},
    ),
    (
        "approveMembership",
        "approveMembership(input: {memberId: $pending}) { userErrors { code } }",
        {"pending": "ID!"},
        {},
    ),
    (
        "denyMembership",
        "denyMembership(input: {memberId: $pending2}) { userErrors { code } }",
        {"pending2": "ID!"},
        {},
    ),
    (
        "createApiKey",
        'createApiKey(input: {name: "k", organizationId: $org}) '
        "{ apiKey { id } userErrors { code } }",
        {"org": "ID!"},
        {"key": "apiKey.id"},
    ),
    (
        "revokeApiKey",
        "revokeApiKey(input: {apiKeyId: $key}) { userErrors { code } }",
        {"key": "ID!"},
        {},
    ),
    (
        "createOidcConnection",
        'createOidcConnection(input: {organizationId: $org, name: "Okta", '
        "issuer: $issuer, clientId: $clientId, clientSecret: $clientSecret}) "
        "{ connection { id } userErrors { code message } }",
        {"org": "ID!", "issuer": "String!", "clientId": "String!", "clientSecret": "String!"},
        {"oidc": "connection.id"},
    ),
    (
        "updateConnection",
        'updateConnection(input: {connectionId: $oidc, name: "Okta 2"}) { userErrors { code } }',
        {"oidc": "ID!"},
        {},
    ),
    (
        "setConnectionGroupRoleMapping",
        "setConnectionGroupRoleMapping(input: {connectionId: $oidc, "
        'group: "Eng", roleSlug: "auditor", priority: 1}) { userErrors { code message } }',
        {"oidc": "ID!"},
        {},
    ),
    (
        "activateConnection",
        "activateConnection(input: {connectionId: $oidc}) { userErrors { code message } }",
        {"oidc": "ID!"},
        {},
    ),
    (
        "deactivateConnection",
        "deactivateConnection(input: {connectionId: $oidc}) { userErrors { code } }",
        {"oidc": "ID!"},
        {},
    ),
    (
        "createSamlConnection",
        'createSamlConnection(input: {organizationId: $org, name: "S", '
        'idpEntityId: "https://idp.walk.example", idpSsoUrl: "https://idp.walk.example/sso"}) '
        "{ connection { id } userErrors { code message } }",
        {"org": "ID!"},
        {"saml": "connection.id"},
    ),
    (
        "refreshConnectionMetadata",
        "refreshConnectionMetadata(input: {connectionId: $saml}) { userErrors { code } }",
        {"saml": "ID!"},
        {},
    ),
    (
        "addSamlCertificate",
        "addSamlCertificate(input: {connectionId: $saml, certificate: $cert}) "
        "{ userErrors { code message } }",
        {"saml": "ID!", "cert": "String!"},
        {},
    ),
    (
        "removeSamlCertificate",
        "removeSamlCertificate(input: {connectionId: $saml, fingerprint: $fingerprint}) "
        "{ userErrors { code message } }",
        {"saml": "ID!", "fingerprint": "String!"},
        {},
    ),
    (
        "rotateSamlSpKey",
        "rotateSamlSpKey(input: {connectionId: $saml}) { userErrors { code message } }",
        {"saml": "ID!"},
        {},
    ),
    (
        "retireSamlSpKey",
        "retireSamlSpKey(input: {connectionId: $saml}) { userErrors { code message } }",
        {"saml": "ID!"},
        {},
    ),
    (
        "deleteConnection",
        "deleteConnection(input: {connectionId: $saml}) { userErrors { code } }",
        {"saml": "ID!"},
        {},
    ),
    (
        "generatePortalLink",
        "generatePortalLink(input: {organizationId: $org, intents: "
        "[AUDIT_LOGS]}) { userErrors { code } }",
        {"org": "ID!"},
        {},
    ),
    (
        "revokePortalSessions",
        "revokePortalSessions(input: {organizationId: $org}) { userErrors { code } }",
        {"org": "ID!"},
        {},
    ),
    (
        "createDirectory",
        'createDirectory(input: {organizationId: $org, name: "Okta"}) '
        "{ directory { id } userErrors { code } }",
        {"org": "ID!"},
        {"directory": "directory.id"},
    ),
    (
        "rotateDirectoryToken",
        "rotateDirectoryToken(input: {directoryId: $directory}) { userErrors { code } }",
        {"directory": "ID!"},
        {},
    ),
    (
        "completeDirectoryTokenRotation",
        "completeDirectoryTokenRotation(input: {directoryId: $directory}) "
        "{ userErrors { code message } }",
        {"directory": "ID!"},
        {},
    ),
    (
        "cancelDirectoryTokenRotation",
        "cancelDirectoryTokenRotation(input: {directoryId: $directory}) "
        "{ userErrors { code message } }",
        {"directory": "ID!"},
        {},
    ),
    (
        "applyDirectoryChanges",
        "applyDirectoryChanges(input: {directoryId: $preview}) { userErrors { code message } }",
        {"preview": "ID!"},
        {},
    ),
    (
        "discardDirectoryChanges",
        "discardDirectoryChanges(input: {directoryId: $preview2}) { userErrors { code message } }",
        {"preview2": "ID!"},
        {},
    ),
    (
        "setGroupRoleMapping",
        "setGroupRoleMapping(input: {directoryId: $directory, groupId: "
        '$group, roleSlug: "auditor"}) { userErrors { code message } }',
        {"directory": "ID!", "group": "ID!"},
        {},
    ),
    (
        "deleteDirectory",
        "deleteDirectory(input: {directoryId: $directory}) { userErrors { code } }",
        {"directory": "ID!"},
        {},
    ),
    (
        "createInvitation",
        "createInvitation(input: {organizationId: $org, email: "
        '"invitee@walk.example"}) { invitation { id } userErrors { code message } }',
        {"org": "ID!"},
        {"invitation": "invitation.id"},
    ),
    (
        "resendInvitation",
        "resendInvitation(input: {invitationId: $invitation}) { userErrors { code } }",
        {"invitation": "ID!"},
        {},
    ),
    (
        "acceptInvitation",
        "acceptInvitation(input: {token: $token}) { userErrors { code } }",
        {"token": "String!"},
        {},
    ),
    (
        "revokeInvitation",
        "revokeInvitation(input: {invitationId: $invitation2}) { userErrors { code } }",
        {"invitation2": "ID!"},
        {},
    ),
    (
        "createWebhookEndpoint",
        'createWebhookEndpoint(input: {url: "https://93.184.215.14/h", '
        "organizationId: $org}) { webhookEndpoint { id } userErrors { code message } }",
        {"org": "ID!"},
        {"endpoint": "webhookEndpoint.id"},
    ),
    (
        "updateWebhookEndpoint",
        "updateWebhookEndpoint(input: {webhookEndpointId: $endpoint, "
        'eventTypes: ["organization.updated"]}) { userErrors { code } }',
        {"endpoint": "ID!"},
        {},
    ),
    (
        "rotateWebhookSecret",
        "rotateWebhookSecret(input: {webhookEndpointId: $endpoint}) { userErrors { code } }",
        {"endpoint": "ID!"},
        {},
    ),
    (
        "retryDelivery",
        "retryDelivery(input: {deliveryId: $delivery}) { userErrors { code } }",
        {"delivery": "ID!"},
        {},
    ),
    (
        "replayEvents",
        "replayEvents(input: {endpointId: $endpoint, after: $cursor}) "
        "{ userErrors { code message } }",
        {"endpoint": "ID!", "cursor": "String!"},
        {},
    ),
    (
        "deleteWebhookEndpoint",
        "deleteWebhookEndpoint(input: {webhookEndpointId: $endpoint}) { userErrors { code } }",
        {"endpoint": "ID!"},
        {},
    ),
    (
        "createLogStream",
        'createLogStream(input: {type: HTTPS, url: "https://93.184.215.14/l", '
        "organizationId: $org}) { logStream { id } userErrors { code message } }",
        {"org": "ID!"},
        {"stream": "logStream.id"},
    ),
    (
        "sendTestLogEvent",
        "sendTestLogEvent(input: {logStreamId: $stream}) { userErrors { code } }",
        {"stream": "ID!"},
        {},
    ),
    (
        "deleteLogStream",
        "deleteLogStream(input: {logStreamId: $stream}) { userErrors { code } }",
        {"stream": "ID!"},
        {},
    ),
    (
        "sendSignInCode",
        'sendSignInCode(input: {email: "ada@walk.example"}) { userErrors { code message } }',
        {},
        {},
    ),
    (
        "authenticateWithCode",
        'authenticateWithCode(input: {email: "ada@walk.example", '
        'code: "123456"}) { authentication { refreshToken accessToken } '
        "userErrors { code message } }",
        {},
        {"refresh": "authentication.refreshToken", "access": "authentication.accessToken"},
    ),
    (
        "refreshSession",
        "refreshSession(input: {refreshToken: $refresh}) { userErrors { code message } }",
        {"refresh": "String!"},
        {},
    ),
    (
        "authenticateWithOrganizationSelection",
        "authenticateWithOrganizationSelection(input: "
        "{pendingAuthenticationToken: $pendingToken, organizationId: $org}) "
        "{ userErrors { code message } }",
        {"pendingToken": "String!", "org": "ID!"},
        {},
    ),
    # Called with the person's own access token: the member acts.
    ("signOut", "signOut { userErrors { code message } }", {}, {}),
    (
        "revokeSessions",
        "revokeSessions(input: {userId: $user}) { userErrors { code } }",
        {"user": "ID!"},
        {},
    ),
    (
        "updateUser",
        'updateUser(input: {userId: $user, firstName: "Ada"}) { userErrors { code } }',
        {"user": "ID!"},
        {},
    ),
    (
        "mergeUsers",
        "mergeUsers(input: {sourceUserId: $other, targetUserId: $user}) "
        "{ userErrors { code message } }",
        {"other": "ID!", "user": "ID!"},
        {},
    ),
    (
        "removeMember",
        "removeMember(input: {memberId: $member}) { userErrors { code } }",
        {"member": "ID!"},
        {},
    ),
    (
        "deleteRole",
        "deleteRole(input: {roleId: $role}) { userErrors { code message } }",
        {"role": "ID!"},
        {},
    ),
    (
        "deleteEnvironmentRole",
        'deleteEnvironmentRole(input: {roleSlug: "viewer"}) { userErrors { code message } }',
        {},
        {},
    ),
    (
        "deletePermission",
        "deletePermission(input: {permissionId: $permission}) { userErrors { code message } }",
        {"permission": "ID!"},
        {},
    ),
    (
        "registerAuditAction",
        'registerAuditAction(input: {action: "doc.read", targetTypes: '
        '["doc"]}) { userErrors { code } }',
        {},
        {},
    ),
    (
        "createAuditEvent",
        'createAuditEvent(input: {organizationId: $org, action: "doc.read", '
        'occurredAt: "2026-03-02T10:00:00Z", actor: {type: "user", id: "u"}, targets: '
        '[{type: "doc", id: "d"}]}) { userErrors { code } }',
        {"org": "ID!"},
        {},
    ),
    (
        "setAuditLogRetention",
        "setAuditLogRetention(input: {organizationId: $org, "
        "retentionDays: 90}) { userErrors { code } }",
        {"org": "ID!"},
        {},
    ),
    (
        "createAuditLogExport",
        "createAuditLogExport(input: {organizationId: $org, rangeStart: "
        '"2020-01-01T00:00:00Z", rangeEnd: "2030-01-01T00:00:00Z"}) { userErrors { code } }',
        {"org": "ID!"},
        {},
    ),
    (
        "accessReview",
        'accessReview(input: {organizationId: $org, at: "2026-01-01T00:00:00Z"}) '
        "{ userErrors { code } }",
        {"org": "ID!"},
        {},
    ),
    (
        "deleteUser",
        "deleteUser(input: {userId: $other2}) { userErrors { code } }",
        {"other2": "ID!"},
        {},
    ),
    (
        "removeDomain",
        "removeDomain(input: {domainId: $domain}) { userErrors { code } }",
        {"domain": "ID!"},
        {},
    ),
    (
        "deleteOrganization",
        "deleteOrganization(input: {id: $org}) { userErrors { code } }",
        {"org": "ID!"},
        {},
    ),
]
# Mutations that write no event on success, with the reason; the walk still runs them.
NO_EVENT = {
    "sendSignInCode",  # the code is mailed; signing in is recorded when it is used
    "refreshConnectionMetadata",  # no metadata URL here: a userError, checked below
    "retryDelivery",  # schedules the target again; deliveries are not events
    "replayEvents",  # moves the endpoint's cursor back
    "sendTestLogEvent",  # a test message to the stream, not an event of the outbox
    "rotateWebhookSecret",
    "updateWebhookEndpoint",
    "createAuditEvent",  # the product's own entry: in the audit trail, not the outbox
    "registerAuditAction",
    "setAuditLogRetention",
    "revokePortalSessions",
    "revokeSessions",  # signOut just ended the only session: nothing left to revoke
    "refreshSession",  # a rotation of the refresh token, not an event
    "updateConnection",  # no event type for a settings change of a connection
    "authenticateWithOrganizationSelection",  # a single-organization person: not needed
}
ALLOWED_ERRORS = {
    "refreshConnectionMetadata": {"CONNECTION_INCOMPLETE", "INVALID_URL", "WRONG_CONNECTION_TYPE"},
    "authenticateWithOrganizationSelection": {"INVALID_TOKEN"},
    "sendTestLogEvent": {"PRIVATE_URL", "TARGET_DISABLED", "DISCOVERY_FAILED"},
}


@pytest.fixture
def settings(db: str, smtp) -> Settings:
    return Settings(
        DATABASE_URL=db,
        GATEHOUSE_SECRET_KEY=os.environ["GATEHOUSE_SECRET_KEY"],
        GATEHOUSE_BASE_URL=BASE,
        GATEHOUSE_REDIRECT_URIS=APP,
        GATEHOUSE_SMTP_URL=f"smtp://127.0.0.1:{smtp.port}?starttls=off",
        GATEHOUSE_SMTP_TIMEOUT=5,
        GATEHOUSE_INVITATION_RETRY_INTERVAL=0,
        GATEHOUSE_RATE_LIMIT_ENABLED=False,
        GATEHOUSE_SSO_ALLOW_PRIVATE_URLS=True,
    )


def _dig(data: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        data = data[part]
    return data


async def _prepare(name: str, world: dict[str, Any], monkeypatch, call) -> None:  # noqa: C901, PLR0912 - one branch per step
    """What a step needs that no earlier mutation made."""
    op = operator_principal()
    if name == "updateMemberRole":
        # setDefaultEnvironmentRole made `viewer` the default: give it back before new members
        await call(
            'mutation { setDefaultEnvironmentRole(input: {roleSlug: "member"}) '
            "{ userErrors { code } } }",
            {},
        )
        world["member"] = (await members.create_member(op, world["org"], "bo@walk.example")).id
    elif name == "approveMembership":
        for key, email in (("pending", "p1@walk.example"), ("pending2", "p2@walk.example")):
            m = await members.create_member(op, world["org"], email)
            await Member.filter(id=m.id).update(status=members.MemberStatus.PENDING)
            world[key] = m.id
    elif name == "setGroupRoleMapping":
        from gatehouse.models import DirectoryGroup

        group = await DirectoryGroup.create(
            directory_id=world["directory"],
            display_name="Eng",
            display_name_lower="eng",
            external_id="eng",
        )
        world["group"] = group.id
    elif name == "createInvitation":
        real = invitation_lifecycle._rotate

        def keep(invitation, days, at):
            world["token"] = real(invitation, days, at)
            return world["token"]

        monkeypatch.setattr(invitation_lifecycle, "_rotate", keep)
    elif name == "revokeInvitation":
        body = await call(
            "mutation($o: ID!) { createInvitation(input: {organizationId: $o, email: "
            '"other@walk.example"}) { invitation { id } } }',
            {"o": world["org"]},
        )
        world["invitation2"] = body["data"]["createInvitation"]["invitation"]["id"]
    elif name == "retryDelivery":
        event = await Event.filter(organization_id=world["org"]).order_by("-id").first()
        row = await Delivery.create(
            target_id=world["endpoint"],
            event_id=event.id,
            event_position=1,
            succeeded=False,
            attempt=1,
        )
        world["delivery"] = row.id
        from gatehouse.events.sequencer import sequence_pending
        from gatehouse.resolvers.events.reading import encode_event_cursor

        await sequence_pending()
        world["cursor"] = encode_event_cursor(1)
    elif name == "addSamlCertificate":
        from gatehouse.resolvers.sso.certificates import fingerprint
        from tests.sso.saml_idp import make_keypair

        world["cert"] = make_keypair("Walk IdP").cert_b64
        world["fingerprint"] = fingerprint({"certificate": world["cert"]})
    elif name == "cancelDirectoryTokenRotation":
        await call(
            "mutation($d: ID!) { rotateDirectoryToken(input: {directoryId: $d}) { bearerToken } }",
            {"d": world["directory"]},
        )
    elif name == "applyDirectoryChanges":
        for key in ("preview", "preview2"):
            body = await call(
                "mutation($o: ID!) { createDirectory(input: {organizationId: $o, "
                'name: "Preview", mode: PREVIEW}) { directory { id } } }',
                {"o": world["org"]},
            )
            world[key] = body["data"]["createDirectory"]["directory"]["id"]
    elif name == "sendSignInCode":
        monkeypatch.setattr(codes.secrets, "randbelow", lambda _n: 123456)
    elif name == "authenticateWithOrganizationSelection":
        world["pendingToken"] = "pauth_nothing"
    elif name == "revokeSessions":
        world["user"] = (await Member.get(id=world["admin"])).user_id
    elif name == "mergeUsers":
        from gatehouse.models import User

        world["other"] = (await User.create(email="ada.two@walk.example")).id
        world["other2"] = (await User.create(email="gone@walk.example")).id
        await members.create_member(op, world["org"], "gone@walk.example")


async def test_every_mutation_names_its_caller_on_every_event(
    gql, operator_token, provider, monkeypatch
):
    from gatehouse.schema import build_schema

    schema = build_schema()
    names = set(schema._schema.get_type("Mutation").fields)  # the printed names
    walked = [s[0] for s in STEPS]
    assert set(walked) == names, f"walk these too: {sorted(names - set(walked))}"
    key_id = (await ApiKey.get(name="test operator")).id
    world: dict[str, Any] = {
        "issuer": provider.issuer,
        "clientId": provider.client_id,
        "clientSecret": provider.client_secret,
    }
    for name, field, types, keep in STEPS:
        await _prepare(name, world, monkeypatch, lambda q, v: gql(q, v, token=operator_token))
        before = await Event.all().count()
        params = ", ".join(f"${v}: {t}" for v, t in types.items())
        document = f"mutation{f'({params})' if params else ''} {{ {field} }}"
        token, actor = operator_token, {"kind": "OPERATOR_KEY", "id": key_id}
        if name == "signOut":
            token, actor = world["access"], {"kind": "MEMBER_SESSION", "id": world["admin"]}
        body = await gql(document, {v: world[v] for v in types}, token=token)
        assert body.get("errors") is None, (name, body)
        payload = body["data"][name]
        errors = {e["code"] for e in payload["userErrors"]}
        assert errors <= ALLOWED_ERRORS.get(name, set()), (name, payload)
        for target, path in keep.items():
            world[target] = _dig(payload, path)
        new = await Event.all().order_by("id").offset(before)
        if name not in NO_EVENT:
            assert new, f"{name} wrote no event"
        for event in new:
            assert event.actor == actor, (name, event.type)
            assert event.context, name
            assert event.context["request_id"].startswith("req_"), name
    # Codes were redeemed through the API, as the operator's backend does.
    assert await SignInCode.filter(used_at__isnull=False).exists()
