// Apollo Client 4 with its persisted-queries link against a live Gatehouse: the first request
// sends only the hash, is told PersistedQueryNotFound, sends the text; the next client's
// request runs by hash alone.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { ApolloClient, ApolloLink, gql, HttpLink, InMemoryCache } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";

const url = process.env.GATEHOUSE_URL;
const token = process.env.GATEHOUSE_TOKEN;
const sent = [];

function recordingFetch(input, init) {
  sent.push(JSON.parse(init.body));
  return fetch(input, init);
}

function client() {
  const persisted = new PersistedQueryLink({
    sha256: (text) => createHash("sha256").update(text).digest("hex"),
  });
  const http = new HttpLink({
    uri: url,
    fetch: recordingFetch,
    headers: { authorization: `Bearer ${token}` },
  });
  return new ApolloClient({ link: ApolloLink.from([persisted, http]), cache: new InMemoryCache() });
}

const VIEWER = gql`
  query ApolloViewer {
    viewer {
      kind
    }
  }
`;

test("APQ: registered on a miss, then run by hash", async () => {
  const first = await client().query({ query: VIEWER, fetchPolicy: "network-only" });
  assert.equal(first.data.viewer.kind, "OPERATOR");
  assert.equal(sent.length, 2);
  assert.equal(sent[0].query, undefined);
  assert.equal(sent[0].extensions.persistedQuery.version, 1);
  assert.ok(sent[1].query.includes("ApolloViewer"));

  const second = await client().query({ query: VIEWER, fetchPolicy: "network-only" });
  assert.equal(second.data.viewer.kind, "OPERATOR");
  assert.equal(sent.length, 3);
  assert.equal(sent[2].query, undefined);
  assert.equal(sent[2].extensions.persistedQuery.sha256Hash, sent[0].extensions.persistedQuery.sha256Hash);
});

test("APQ: a mutation goes through the same link", async () => {
  const CREATE = gql`
    mutation ApolloCreate($input: CreateOrganizationInput!) {
      createOrganization(input: $input) {
        organization {
          id
        }
        userErrors {
          code
        }
      }
    }
  `;
  const result = await client().mutate({ mutation: CREATE, variables: { input: { name: "Apollo Co" } } });
  assert.deepEqual(result.data.createOrganization.userErrors, []);
  assert.match(result.data.createOrganization.organization.id, /^org_/);
});
