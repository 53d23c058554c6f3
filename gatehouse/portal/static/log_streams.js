// Log streams page: add a destination, see its delivery status, send a test event, delete it.
import { announce, el, graphql, organizationId, SessionEnded } from "./api.js";

const STREAM = `id type url state createdAt
  deliveries(first: 100) { totalCount edges { node { succeeded attempt responseStatus createdAt } } }`;
const LIST = `query PortalLogStreams($id: ID!) { organization(id: $id) { logStreams { ${STREAM} } } }`;
const CREATE = `mutation PortalCreateLogStream($input: CreateLogStreamInput!) {
  createLogStream(input: $input) { logStream { ${STREAM} } userErrors { field code message } } }`;
const DELETE = `mutation PortalDeleteLogStream($input: LogStreamIdInput!) {
  deleteLogStream(input: $input) { logStream { id } userErrors { code message } } }`;
const TEST = `mutation PortalTestLogStream($input: LogStreamIdInput!) {
  sendTestLogEvent(input: $input) { responseStatus userErrors { code message } } }`;

const TYPES = { HTTPS: "HTTPS endpoint (JSON lines)", DATADOG: "Datadog", SPLUNK_HEC: "Splunk HTTP Event Collector" };
const STATES = { ACTIVE: "Delivering", FAILING: "Failing", DISABLED: "Disabled" };
let streams = [];
const tests = new Map(); // stream id → outcome of this page's last test event

function showError(message) {
  const box = document.getElementById("ls-error");
  box.textContent = message;
  box.hidden = !message;
}

async function run(work) {
  showError("");
  try { await work(); } catch (error) { if (!(error instanceof SessionEnded)) showError(error.message); }
}

function addForm() {
  const form = el("form", { class: "card add-form" },
    el("h2", {}, "Add a destination"),
    el("label", { for: "ls-type" }, "Destination"),
    el("select", { id: "ls-type", name: "type" },
      Object.entries(TYPES).map(([value, label]) => el("option", { value }, label))),
    el("label", { for: "ls-url" }, "Intake URL"),
    el("input", { id: "ls-url", name: "url", type: "url", required: true, placeholder: "https://" }),
    el("label", { for: "ls-token" }, "Token (API key, HEC token or bearer token)"),
    el("input", { id: "ls-token", name: "token", type: "password", autocomplete: "off" }),
    el("p", { class: "actions" }, el("button", { type: "submit", class: "button" }, "Add destination")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const { type, url, token } = form.elements;
    run(async () => {
      const input = { organizationId, type: type.value, url: url.value, token: token.value || null };
      const data = await graphql(CREATE, { input });
      const { logStream, userErrors } = data.createLogStream;
      if (userErrors.length) return showError(userErrors.map((e) => e.message).join(" "));
      streams.push(logStream);
      render();
      announce("Destination added.");
    });
  });
  return form;
}

function lastDelivery(stream) {
  const edges = stream.deliveries.edges;
  if (!edges.length) return "No events delivered yet";
  const d = edges[edges.length - 1].node;
  const when = new Date(d.createdAt).toLocaleString();
  return d.succeeded ? `Delivered ${when}` : `Failed ${when} (attempt ${d.attempt}${d.responseStatus ? `, HTTP ${d.responseStatus}` : ""})`;
}

function testOutcome(stream) {
  const outcome = tests.get(stream.id);
  if (outcome === undefined) return null;
  return el("p", { class: outcome.ok ? "alert-ok" : "error", "data-testid": "test-outcome" }, outcome.text);
}

function card(stream) {
  return el("article", { class: "card", "data-testid": "log-stream" },
    el("div", { class: "domain-head" }, el("h2", {}, TYPES[stream.type] ?? stream.type),
      el("span", { class: "badge state-active", "data-testid": "stream-state" }, STATES[stream.state] ?? stream.state)),
    el("p", {}, el("code", {}, stream.url)),
    el("p", { class: "muted", "data-testid": "last-delivery" }, lastDelivery(stream)),
    testOutcome(stream),
    el("p", { class: "actions" },
      el("button", { type: "button", class: "button secondary", onclick: () => sendTest(stream) }, "Send test event"),
      el("button", { type: "button", class: "button secondary", onclick: () => remove(stream) }, "Delete")));
}

function sendTest(stream) {
  run(async () => {
    const data = await graphql(TEST, { input: { logStreamId: stream.id } });
    const { responseStatus, userErrors } = data.sendTestLogEvent;
    if (userErrors.length) return showError(userErrors.map((e) => e.message).join(" "));
    const ok = responseStatus !== null && responseStatus >= 200 && responseStatus < 300;
    const text = ok ? `Test event delivered (HTTP ${responseStatus}).`
      : responseStatus === null ? "Test event not delivered: the destination could not be reached."
        : `Test event not delivered: the destination answered HTTP ${responseStatus}.`;
    tests.set(stream.id, { ok, text });
    render();
    announce(text);
  });
}

function remove(stream) {
  if (!window.confirm("Delete this destination? Events stop being sent to it at once.")) return;
  run(async () => {
    const data = await graphql(DELETE, { input: { logStreamId: stream.id } });
    if (data.deleteLogStream.userErrors.length) return showError(data.deleteLogStream.userErrors[0].message);
    streams = streams.filter((s) => s.id !== stream.id);
    render();
    announce("Destination deleted.");
  });
}

function render() {
  const app = document.getElementById("ls-app");
  app.setAttribute("aria-busy", "false");
  app.replaceChildren(...streams.map(card), addForm());
}

export function start() {
  run(async () => {
    const data = await graphql(LIST, { id: organizationId });
    streams = data.organization?.logStreams ?? [];
    render();
  });
}
