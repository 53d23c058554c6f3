// The request recorder on portal pages: the last SCIM requests of a directory and the last
// sign-in attempts of a connection, already redacted and masked by the server.
import { el } from "./api.js";

export const REQUESTS = `requests(first: 20) { totalCount edges { node {
  method path status durationMs scimType detail changes occurredAt } } }`;
export const ATTEMPTS = `signInAttempts(first: 20) { totalCount edges { node {
  outcome reason message issuer nameIdFormat subject attributes occurredAt } } }`;

function when(iso) { return new Date(iso).toLocaleString(); }

function table(caption, testid, headers, rows) {
  return el("table", { class: "log", "data-testid": testid },
    el("caption", {}, caption),
    el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows));
}

export function requestLog(page) {
  const edges = page?.edges ?? [];
  if (!edges.length) return el("p", { class: "muted" }, "No requests from your identity provider yet.");
  return table("Recent SCIM requests (newest first; values masked)", "request-log",
    ["When", "Request", "Status", "Error", "Changes"],
    edges.map(({ node: r }) => el("tr", { class: r.status >= 400 ? "failed" : "" },
      el("td", {}, when(r.occurredAt)),
      el("td", {}, el("code", {}, `${r.method} ${r.path.replace(/^\/scim\/v2\/[^/]+/, "")}`)),
      el("td", {}, `${r.status} (${r.durationMs} ms)`),
      el("td", {}, r.scimType || r.detail ? `${r.scimType ?? ""} ${r.detail ?? ""}`.trim() : "—"),
      el("td", {}, r.changes.length ? r.changes.join(", ") : "—"))));
}

export function attemptLog(page) {
  const edges = page?.edges ?? [];
  if (!edges.length) return el("p", { class: "muted" }, "No sign-in attempts yet.");
  return table("Recent sign-in attempts (newest first; values masked)", "attempt-log",
    ["When", "Outcome", "Reason", "Issuer", "NameID format", "Attributes"],
    edges.map(({ node: a }) => el("tr", { class: a.outcome === "FAILED" ? "failed" : "" },
      el("td", {}, when(a.occurredAt)),
      el("td", {}, a.outcome === "FAILED" ? "Failed" : "Succeeded"),
      el("td", {}, a.reason ? `${a.reason}: ${a.message ?? ""}` : "—"),
      el("td", {}, a.issuer ?? "—"),
      el("td", {}, a.nameIdFormat ?? "—"),
      el("td", {}, Object.keys(a.attributes).length
        ? Object.entries(a.attributes).map(([k, v]) => `${k}: ${[].concat(v).join(", ")}`).join("; ")
        : "—"))));
}
