// The typed client against a live Gatehouse (started by tests/clients/test_typescript.py,
// which passes GATEHOUSE_URL and GATEHOUSE_TOKEN; GATEHOUSE_PERSISTED=1 when the server runs
// only trusted documents).
import assert from "node:assert/strict";
import { after, test } from "node:test";
import WebSocket from "ws";
import {
  AddDomainMutation,
  CreateOrganizationMutation,
  createGatehouseClient,
  GatehouseError,
  OnboardingQuery,
  OnboardingSubscription,
  OrganizationsQuery,
  ViewerQuery,
} from "../dist/index.js";

const url = process.env.GATEHOUSE_URL;
const persisted = process.env.GATEHOUSE_PERSISTED === "1";
const client = createGatehouseClient({
  url,
  token: async () => process.env.GATEHOUSE_TOKEN,
  persisted,
  webSocketImpl: WebSocket,
});
after(() => client.close());

test("a query returns typed data", async () => {
  const data = await client.request(ViewerQuery);
  assert.equal(data.viewer.kind, "OPERATOR");
  assert.ok(data.viewer.permissions.includes("organizations:read"));
});

test("a mutation returns its payload, and userErrors for bad input", async () => {
  const created = await client.request(CreateOrganizationMutation, {
    input: { name: "Typed Co" },
  });
  assert.deepEqual(created.createOrganization.userErrors, []);
  assert.match(created.createOrganization.organization.id, /^org_/);
  const refused = await client.request(CreateOrganizationMutation, { input: { name: " " } });
  assert.equal(refused.createOrganization.organization, null);
  assert.equal(refused.createOrganization.userErrors[0].code, "REQUIRED");
});

test("pages follow their cursors", async () => {
  for (const name of ["Page A", "Page B"]) {
    await client.request(CreateOrganizationMutation, { input: { name } });
  }
  const first = await client.request(OrganizationsQuery, { first: 1 });
  assert.equal(first.organizations.edges.length, 1);
  assert.ok(first.organizations.pageInfo.hasNextPage);
  const next = await client.request(OrganizationsQuery, {
    first: 1,
    after: first.organizations.pageInfo.endCursor,
  });
  assert.notEqual(next.organizations.edges[0].node.id, first.organizations.edges[0].node.id);
});

test("a subscription follows the onboarding status live", async () => {
  const created = await client.request(CreateOrganizationMutation, { input: { name: "Live" } });
  const organizationId = created.createOrganization.organization.id;
  const statuses = client.subscribe(OnboardingSubscription, { organizationId });
  const first = await statuses.next();
  assert.equal(first.value.onboarding.state, "NOT_STARTED");
  assert.equal(first.value.onboarding.totalSteps, 5);
  const added = await client.request(AddDomainMutation, {
    input: { organizationId, domain: "typed-client.example" },
  });
  assert.deepEqual(added.addDomain.userErrors, []);
  const second = await statuses.next();
  assert.equal(second.value.onboarding.domains.state, "IN_PROGRESS");
  assert.equal(second.value.onboarding.domains.pending, 1);
  await statuses.return();
  const read = await client.request(OnboardingQuery, { id: organizationId });
  assert.equal(read.organization.onboarding.steps[0].name, "DOMAINS");
});

test("a bad credential is a GatehouseError with its code", async () => {
  const anonymous = createGatehouseClient({ url, token: "sk_not_a_key", persisted });
  await assert.rejects(anonymous.request(ViewerQuery), (error) => {
    assert.ok(error instanceof GatehouseError);
    assert.equal(error.code, "UNAUTHENTICATED");
    return true;
  });
});
