"""Organization.onboarding, organizations(onboarding:), and the portal checklist that reads
the same status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gatehouse.auth.principal import operator_principal
from gatehouse.models import (
    Connection,
    ConnectionState,
    ConnectionType,
    Directory,
    Domain,
    DomainState,
    Invitation,
    LinkedIdentity,
    LogStream,
    LogStreamType,
    PortalIntent,
    PortalSession,
    TargetState,
    User,
)
from gatehouse.resolvers import api_keys
from gatehouse.resolvers.portal.links import onboarding_checklist

ONBOARDING = """query($id: ID!) { organization(id: $id) { onboarding {
  organizationId state completedSteps totalSteps
  steps { name state completed }
  domains { state completed verified pending failed }
  sso { state completed connections activeConnections connectionState lastSignInAt certificateExpiresAt }
  directory { state directories directoryState lastSyncAt }
  logStreams { state streams failing disabled }
  members { state active pending inactive pendingInvitations undeliveredInvitations }
} } }"""

STUCK = """query($state: OnboardingState) { organizations(onboarding: $state, first: 50) {
  totalCount edges { node { id name onboarding { state } } } } }"""


def _domain(org, name, state):
    return Domain.create(
        organization=org,
        domain=name,
        verified_domain=name if state is DomainState.VERIFIED else None,
        state=state,
        token="t",
    )


def _certificate(days: int) -> dict:
    end = datetime.now(UTC) + timedelta(days=days)
    return {
        "subject": "CN=IdP",
        "not_before": "2020-01-01T00:00:00+00:00",
        "not_after": end.isoformat(),
        "pem": "x",
    }


async def _onboarding(gql, token, org_id):
    body = await gql(ONBOARDING, {"id": org_id}, token=token)
    assert "errors" not in body, body
    return body["data"]["organization"]["onboarding"]


async def test_a_new_organization_has_started_nothing(gql, operator_token, make_org):
    # given a new organization
    org = await make_org("Acme")

    # when its onboarding is read
    status = await _onboarding(gql, operator_token, org.id)

    # then every step is NOT_STARTED, with zero facts
    assert status["state"] == "NOT_STARTED"
    assert (status["completedSteps"], status["totalSteps"]) == (0, 5)
    assert [s["name"] for s in status["steps"]] == [
        "DOMAINS",
        "SSO",
        "DIRECTORY",
        "LOG_STREAMS",
        "MEMBERS",
    ]
    assert {s["state"] for s in status["steps"]} == {"NOT_STARTED"}
    assert status["domains"] == {
        "state": "NOT_STARTED",
        "completed": False,
        "verified": 0,
        "pending": 0,
        "failed": 0,
    }
    assert status["sso"]["connectionState"] is None


async def test_each_step_reports_its_facts(gql, operator_token, make_org):
    # given an organization partway through: one verified and one pending domain, an active
    # SAML connection whose certificate lasts a year, a directory that has pushed, a log
    # stream, and a pending invitation
    org = await make_org("Acme")
    await _domain(org, "acme.com", DomainState.VERIFIED)
    await _domain(org, "acme.io", DomainState.PENDING)
    okta = await Connection.create(
        organization=org,
        name="Okta",
        type=ConnectionType.SAML,
        state=ConnectionState.ACTIVE,
        saml_idp_certificates=[_certificate(365)],
    )
    signed_in = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    user = await User.create(email="ada@acme.com")
    await LinkedIdentity.create(
        connection=okta, subject="ada", user=user, last_sign_in_at=signed_in
    )
    synced = datetime.now(UTC).replace(microsecond=0)
    await Directory.create(
        organization=org, name="SCIM", token_hash="h1", token_prefix="p", last_activity_at=synced
    )
    await LogStream.create(
        organization_id=org.id, url="https://siem.test", type=LogStreamType.HTTPS
    )
    await Invitation.create(
        organization=org,
        email="ada@acme.com",
        token_hash="ih",
        expires_at=datetime.now(UTC) + timedelta(days=3),
    )

    # when its onboarding is read
    status = await _onboarding(gql, operator_token, org.id)

    # then each step says where it stands and why
    assert status["domains"] == {
        "state": "DONE",
        "completed": True,
        "verified": 1,
        "pending": 1,
        "failed": 0,
    }
    assert status["sso"]["state"] == "DONE"
    assert status["sso"]["activeConnections"] == 1
    assert status["sso"]["connectionState"] == "ACTIVE"
    assert status["sso"]["certificateExpiresAt"] is not None
    assert datetime.fromisoformat(status["sso"]["lastSignInAt"]) == signed_in
    assert status["directory"]["state"] == "DONE"
    assert status["directory"]["directoryState"] == "LINKED"
    assert datetime.fromisoformat(status["directory"]["lastSyncAt"]) == synced
    assert status["logStreams"] == {"state": "DONE", "streams": 1, "failing": 0, "disabled": 0}
    assert status["members"]["state"] == "IN_PROGRESS"
    assert status["members"]["pendingInvitations"] == 1
    assert status["completedSteps"] == 4
    assert status["state"] == "IN_PROGRESS"


async def test_problems_need_attention_and_the_operator_finds_who_is_stuck(
    gql, operator_token, make_org
):
    # given four organizations: one fine, and three stuck on a different problem each
    fine = await make_org("Fine")
    await _domain(fine, "fine.com", DomainState.VERIFIED)
    failed_domain = await make_org("Failed domain")
    await _domain(failed_domain, "failed.com", DomainState.FAILED)
    expiring = await make_org("Expiring certificate")
    await Connection.create(
        organization=expiring,
        name="Okta",
        type=ConnectionType.SAML,
        state=ConnectionState.ACTIVE,
        saml_idp_certificates=[_certificate(10)],
    )
    failing_stream = await make_org("Failing stream")
    await LogStream.create(
        organization_id=failing_stream.id,
        url="https://siem.test",
        type=LogStreamType.HTTPS,
        state=TargetState.FAILING,
    )

    # when the operator asks who needs attention
    body = await gql(STUCK, {"state": "NEEDS_ATTENTION"}, token=operator_token)

    # then exactly the three stuck ones, each with the step that says so
    page = body["data"]["organizations"]
    names = sorted(e["node"]["name"] for e in page["edges"])
    assert names == ["Expiring certificate", "Failed domain", "Failing stream"]
    assert page["totalCount"] == 3
    assert (await _onboarding(gql, operator_token, failed_domain.id))["domains"]["state"] == (
        "NEEDS_ATTENTION"
    )
    assert (await _onboarding(gql, operator_token, expiring.id))["sso"]["state"] == (
        "NEEDS_ATTENTION"
    )
    assert (await _onboarding(gql, operator_token, failing_stream.id))["logStreams"][
        "state"
    ] == "NEEDS_ATTENTION"
    # and the filter by another state works the same way
    body = await gql(STUCK, {"state": "IN_PROGRESS"}, token=operator_token)
    assert [e["node"]["name"] for e in body["data"]["organizations"]["edges"]] == ["Fine"]


async def test_a_scoped_key_sees_only_its_own_organization_in_the_filter(gql, make_org):
    # given two stuck organizations and a key scoped to A
    org_a, org_b = await make_org("A"), await make_org("B")
    for org, name in ((org_a, "a.com"), (org_b, "b.com")):
        await _domain(org, name, DomainState.FAILED)
    _, token = await api_keys.create_api_key(operator_principal(), "a", org_a.id)

    # when A's key asks who is stuck, and reads B's onboarding
    body = await gql(STUCK, {"state": "NEEDS_ATTENTION"}, token=token)
    other = await gql(ONBOARDING, {"id": org_b.id}, token=token)

    # then it sees only itself, and B reads as absent
    assert [e["node"]["id"] for e in body["data"]["organizations"]["edges"]] == [org_a.id]
    assert other["data"]["organization"] is None


async def test_the_portal_checklist_reads_the_same_status(gql, operator_token, make_org):
    # given an organization whose only problem is a failed domain next to a verified one
    org = await make_org("Acme")
    await _domain(org, "acme.com", DomainState.VERIFIED)
    await _domain(org, "acme.io", DomainState.FAILED)
    session = await PortalSession.create(
        organization_id=org.id,
        token_hash="s",
        intents=[PortalIntent.DOMAIN_VERIFICATION.value, PortalIntent.SSO.value],
        expires_at=datetime.now(UTC) + timedelta(hours=1),
    )

    # when the checklist and the API are read
    checklist = await onboarding_checklist(session)
    status = await _onboarding(gql, operator_token, org.id)

    # then they agree: domains reached its goal (and needs attention), SSO has not
    assert [(i.intent, i.done) for i in checklist] == [
        (PortalIntent.DOMAIN_VERIFICATION, True),
        (PortalIntent.SSO, False),
    ]
    assert status["domains"]["completed"] is True
    assert status["domains"]["state"] == "NEEDS_ATTENTION"
    assert status["sso"]["completed"] is False


async def test_a_page_of_organizations_costs_a_fixed_number_of_queries(
    gql, operator_token, make_org, count_queries
):
    # given five organizations with a domain each
    for i in range(5):
        org = await make_org(f"Org {i}")
        await _domain(org, f"org{i}.com", DomainState.PENDING)
    page = "{ organizations(first: 20) { edges { node { onboarding { state domains { pending } } } } } }"

    # when a page reads their onboarding
    with count_queries() as counter:
        body = await gql(page, token=operator_token)
    many = counter.count
    assert len(body["data"]["organizations"]["edges"]) == 5
    for i in range(5, 10):
        org = await make_org(f"Org {i}")
    with count_queries() as counter:
        await gql(page, token=operator_token)

    # then twice the organizations cost no more queries (the first call may also have stamped
    # the key's last use)
    assert counter.count <= many
