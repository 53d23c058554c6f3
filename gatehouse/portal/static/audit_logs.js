// Audit trail page: browse the organization's entries (newest page last), filter by action,
// actor and range, and export the range as CSV or JSON lines through signed links.
import { announce, el, graphql, organizationId, SessionEnded } from "./api.js";

const ENTRY = `id action occurredAt source actor { type id name } targets { type id name }
  context { location userAgent }`;
const LIST = `query PortalAuditLogs($id: ID!, $first: Int, $after: String, $actions: [String!],
  $actorIds: [String!], $rangeStart: DateTime, $rangeEnd: DateTime) {
  organization(id: $id) { auditLogs(first: $first, after: $after, actions: $actions,
    actorIds: $actorIds, rangeStart: $rangeStart, rangeEnd: $rangeEnd) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { ${ENTRY} } } } } }`;
const EXPORT = `mutation PortalAuditExport($input: CreateAuditLogExportInput!) {
  createAuditLogExport(input: $input) { export { id entryCount csvUrl jsonlUrl urlsExpireAt }
    userErrors { field code message } } }`;

const PAGE_SIZE = 50;
let filters = {};
let entries = [];
let next = null;
let total = 0;

function showError(message) {
  const box = document.getElementById("al-error");
  box.textContent = message;
  box.hidden = !message;
}

async function run(work) {
  showError("");
  try { await work(); } catch (error) { if (!(error instanceof SessionEnded)) showError(error.message); }
}

function list(values) {
  const items = values.split(",").map((v) => v.trim()).filter(Boolean);
  return items.length ? items : null;
}

function instant(value) {
  return value ? new Date(value).toISOString() : null;
}

function readFilters(form) {
  const { action, actor, from, to } = form.elements;
  return {
    actions: list(action.value),
    actorIds: list(actor.value),
    rangeStart: instant(from.value),
    rangeEnd: instant(to.value),
  };
}

async function load(more = false) {
  const data = await graphql(LIST, {
    id: organizationId, first: PAGE_SIZE, after: more ? next : null, ...filters,
  });
  const page = data.organization.auditLogs;
  entries = more ? entries.concat(page.edges.map((e) => e.node)) : page.edges.map((e) => e.node);
  next = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
  total = page.totalCount;
}

function party(p) {
  return p.name ? `${p.name} (${p.type} ${p.id ?? ""})` : `${p.type} ${p.id ?? ""}`;
}

function table() {
  if (!entries.length) return el("p", { class: "muted", "data-testid": "no-entries" }, "No entries match.");
  return el("table", { class: "card", "data-testid": "audit-table" },
    el("thead", {}, el("tr", {}, ["When", "Action", "Actor", "Targets", "From"].map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, entries.map((e) => el("tr", { "data-testid": "audit-entry" },
      el("td", {}, new Date(e.occurredAt).toLocaleString()),
      el("td", { "data-testid": "entry-action" }, e.action),
      el("td", { "data-testid": "entry-actor" }, party(e.actor)),
      el("td", {}, e.targets.map(party).join(", ")),
      el("td", {}, e.context.location ?? "")))));
}

function filterForm() {
  const form = el("form", { class: "card add-form", "aria-label": "Filter" },
    el("h2", {}, "Filter"),
    el("label", { for: "al-action" }, "Actions (comma-separated)"),
    el("input", { id: "al-action", name: "action", placeholder: "organization_membership.updated" }),
    el("label", { for: "al-actor" }, "Actor ids (comma-separated)"),
    el("input", { id: "al-actor", name: "actor" }),
    el("label", { for: "al-from" }, "From"),
    el("input", { id: "al-from", name: "from", type: "datetime-local" }),
    el("label", { for: "al-to" }, "Until"),
    el("input", { id: "al-to", name: "to", type: "datetime-local" }),
    el("p", { class: "actions" },
      el("button", { type: "submit", class: "button" }, "Apply filters"),
      " ",
      el("button", { type: "button", class: "button secondary", id: "al-export" }, "Export")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run(async () => {
      filters = readFilters(form);
      await load();
      render();
      announce(`${total} entries.`);
    });
  });
  form.querySelector("#al-export").addEventListener("click", () => run(async () => {
    const f = readFilters(form);
    const input = {
      organizationId,
      rangeStart: f.rangeStart ?? new Date(0).toISOString(),
      rangeEnd: f.rangeEnd ?? new Date(Date.now() + 60_000).toISOString(),
      actions: f.actions,
      actorIds: f.actorIds,
    };
    const { createAuditLogExport: result } = await graphql(EXPORT, { input });
    if (result.userErrors.length) return showError(result.userErrors.map((e) => e.message).join(" "));
    const box = document.getElementById("al-exported");
    box.replaceChildren(
      el("p", {}, `Exported ${result.export.entryCount} entries. The links work for 15 minutes.`),
      el("p", {},
        el("a", { href: result.export.csvUrl, "data-testid": "export-csv" }, "Download CSV"), " · ",
        el("a", { href: result.export.jsonlUrl, "data-testid": "export-jsonl" }, "Download JSON lines")));
    box.hidden = false;
    announce("Export ready.");
  }));
  return form;
}

let form = null;

function render() {
  const app = document.getElementById("al-app");
  form = form ?? filterForm();
  const exported = document.getElementById("al-exported") ?? el("div", { id: "al-exported", class: "card", hidden: true });
  const more = next
    ? el("button", { type: "button", class: "button secondary", onclick: () => run(async () => { await load(true); render(); }) }, "Show more")
    : null;
  app.replaceChildren(form, exported,
    el("p", { "data-testid": "entry-count" }, `${total} entries`), table(), more);
  app.setAttribute("aria-busy", "false");
}

export async function start() {
  await run(async () => { await load(); render(); });
}
