// The GraphQL over HTTP audit (graphql-http's auditServer) against a live Gatehouse: no
// MUST or SHOULD of the specification fails. Authenticated: Gatehouse runs nothing but
// `acceptInvitation` for a caller without a credential, and the audit's probe is `{ __typename }`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { auditServer } from "graphql-http";

test("graphql-http's audit passes", async () => {
  const authorization = `Bearer ${process.env.GATEHOUSE_TOKEN}`;
  const results = await auditServer({
    url: process.env.GATEHOUSE_URL,
    fetchFn: (input, init = {}) =>
      fetch(input, { ...init, headers: { ...Object.fromEntries(new Headers(init.headers)), authorization } }),
  });
  const problems = results.filter((r) => r.status !== "ok");
  for (const p of problems) console.log(`${p.status}: ${p.name}: ${p.reason}`);
  assert.deepEqual(
    problems.filter((r) => r.status === "error"),
    [],
  );
  assert.deepEqual(
    problems.filter((r) => r.status === "warn").map((r) => r.name),
    [],
  );
});
