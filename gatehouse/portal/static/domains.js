// Domain verification page: add a domain, show its TXT record, verify, poll its state.
import { announce, copyText, el, graphql, organizationId, SessionEnded } from "./api.js";

const DOMAIN_FIELDS = `id domain state enrollment failureReason verifiedAt lastCheckedAt
  record { type name value }`;
const LIST = `query PortalDomains($id: ID!) {
  organization(id: $id) { domains { ${DOMAIN_FIELDS} } } }`;
const ADD = `mutation PortalAddDomain($input: AddDomainInput!) {
  addDomain(input: $input) { domain { ${DOMAIN_FIELDS} } userErrors { field code message } } }`;
const VERIFY = `mutation PortalVerifyDomain($input: VerifyDomainInput!) {
  verifyDomain(input: $input) { domain { ${DOMAIN_FIELDS} } userErrors { code message } } }`;
const SET_ENROLLMENT = `mutation PortalSetDomainEnrollment($input: SetDomainEnrollmentInput!) {
  setDomainEnrollment(input: $input) { domain { ${DOMAIN_FIELDS} } userErrors { code message } } }`;
const REMOVE = `mutation PortalRemoveDomain($input: RemoveDomainInput!) {
  removeDomain(input: $input) { deletedId userErrors { code message } } }`;

const POLL_MS = 4000;
const STATE_TEXT = {
  PENDING: "Waiting for the DNS record",
  VERIFIED: "Verified",
  FAILED: "Verification failed",
};

let domains = [];
let pollTimer = null;

// The API's reasons name DNS facts; these say what to do about them.
const PLAIN_REASONS = [
  [/^NXDOMAIN|^No TXT record/, (d) => `We looked up ${d.record.name} and found no TXT record there yet. Add the record below at your DNS provider (it can take a few minutes to appear), then verify again.`],
  [/^Wrong value/, (d) => `There is a TXT record at ${d.record.name}, but its value is not the one below. Copy the value exactly, without extra quotes or spaces.`],
  [/^SERVFAIL/, () => "Your domain's DNS servers did not answer properly. This is usually temporary; we will keep trying. If it lasts, ask your DNS provider."],
  [/^Timeout/, () => "Your domain's DNS servers took too long to answer. We will try again automatically."],
  [/^Verified by another organization/, () => "Another organization verified this domain first. Contact us if you believe this is a mistake."],
  [/^Not verified within/, () => "We could not find the record in time, so we stopped checking. Check the record below, then choose \u201cVerify now\u201d to try again."],
];

function plainReason(domain) {
  const reason = domain.failureReason ?? "";
  for (const [pattern, say] of PLAIN_REASONS) if (pattern.test(reason)) return say(domain);
  return reason;
}

// What proving an @domain address does for someone who is not a member yet.
const ENROLLMENT_CHOICES = [
  ["NONE", "Only people we invite", "Others need an invitation from an admin."],
  ["AUTOMATIC", "Anyone with this email joins automatically", "They become members with the default role when they sign in."],
  ["REQUEST", "Anyone with this email can ask to join", "An admin approves or denies each request."],
];

function explain(domain) {
  if (domain.state === "VERIFIED") {
    return `Verified. Sign-ins with @${domain.domain} email addresses are routed to your organization.`;
  }
  if (domain.failureReason) return plainReason(domain);
  if (domain.state === "FAILED") return "We could not verify this domain. Check the record below and try again.";
  return "Publish this TXT record at your DNS provider, then choose \u201cVerify now\u201d. We also check automatically every few minutes.";
}

function recordRow(label, value, testid) {
  const code = el("code", { "data-testid": testid }, value);
  return el("div", { class: "record-row" },
    el("span", { class: "record-label" }, label),
    code,
    el("button", {
      type: "button", class: "button small secondary",
      "aria-label": `Copy ${label.toLowerCase()}`,
      onclick: (event) => copyText(value, event.currentTarget),
    }, "Copy"));
}

function enrollmentChoice(domain) {
  const name = `enrollment-${domain.id}`;
  return el("fieldset", { class: "enrollment", "data-testid": "domain-enrollment" },
    el("legend", {}, `Who can join with an @${domain.domain} email?`),
    ...ENROLLMENT_CHOICES.map(([value, label, hint]) => {
      const id = `${name}-${value.toLowerCase()}`;
      const input = el("input", { type: "radio", name, id, value,
        "aria-describedby": `${id}-hint`,
        onchange: (event) => setEnrollment(domain, value, event.currentTarget) });
      input.checked = domain.enrollment === value;
      return el("div", { class: "choice" }, input,
        el("label", { for: id }, label),
        el("span", { class: "hint", id: `${id}-hint` }, hint));
    }));
}

function domainCard(domain) {
  const verified = domain.state === "VERIFIED";
  const titleId = `title-${domain.id}`;
  return el("article", { class: `card domain-card state-${domain.state.toLowerCase()}`,
    "aria-labelledby": titleId, "data-domain": domain.domain },
    el("div", { class: "domain-head" },
      el("h2", { id: titleId }, domain.domain),
      el("span", { class: "badge", "data-testid": "domain-state" }, STATE_TEXT[domain.state] ?? domain.state)),
    el("p", { class: "explain", "data-testid": "domain-explain" }, explain(domain)),
    verified ? enrollmentChoice(domain) : null,
    verified ? null : el("div", { class: "record", role: "group", "aria-label": `DNS record for ${domain.domain}` },
      recordRow("Type", domain.record.type, "record-type"),
      recordRow("Name", domain.record.name, "record-name"),
      recordRow("Value", domain.record.value, "record-value")),
    el("div", { class: "domain-actions" },
      verified ? null : el("button", { type: "button", class: "button", "data-action": "verify",
        onclick: (event) => verify(domain, event.currentTarget) }, "Verify now"),
      el("button", { type: "button", class: "button link danger",
        onclick: () => remove(domain) }, "Remove", el("span", { class: "visually-hidden" }, ` ${domain.domain}`))));
}

function render() {
  const list = document.getElementById("domain-list");
  list.setAttribute("aria-busy", "false");
  list.replaceChildren(...(domains.length
    ? domains.map(domainCard)
    : [el("p", { class: "muted empty" }, "No domains yet. Add your first domain above.")]));
  schedulePoll();
}

function schedulePoll() {
  clearTimeout(pollTimer);
  if (domains.some((d) => d.state === "PENDING")) pollTimer = setTimeout(refresh, POLL_MS);
}

async function refresh() {
  try {
    const data = await graphql(LIST, { id: organizationId });
    const before = new Map(domains.map((d) => [d.id, d.state]));
    domains = data.organization?.domains ?? [];
    for (const d of domains) {
      if (before.has(d.id) && before.get(d.id) !== d.state) announce(`${d.domain}: ${STATE_TEXT[d.state]}`);
    }
    render();
  } catch (error) {
    if (!(error instanceof SessionEnded)) showError(error.message);
  }
}

function showError(message) {
  const box = document.getElementById("domain-error");
  box.textContent = message;
  box.hidden = !message;
  document.getElementById("domain-input").setAttribute("aria-invalid", message ? "true" : "false");
}

async function add(event) {
  event.preventDefault();
  const input = document.getElementById("domain-input");
  const button = event.target.querySelector("button[type=submit]");
  showError("");
  if (!input.value.trim()) { showError("Enter a domain, for example acme.com."); input.focus(); return; }
  button.disabled = true;
  try {
    const data = await graphql(ADD, { input: { organizationId, domain: input.value } });
    const { domain, userErrors } = data.addDomain;
    if (userErrors.length) { showError(userErrors.map((e) => e.message).join(" ")); input.focus(); return; }
    input.value = "";
    domains = [...domains.filter((d) => d.id !== domain.id), domain];
    render();
    announce(`${domain.domain} added. Publish its TXT record, then verify.`);
    document.querySelector(`[data-domain="${CSS.escape(domain.domain)}"] h2`)?.setAttribute("tabindex", "-1");
  } catch (error) {
    if (!(error instanceof SessionEnded)) showError(error.message);
  } finally {
    button.disabled = false;
  }
}

async function verify(domain, button) {
  button.disabled = true;
  button.textContent = "Checking…";
  try {
    const data = await graphql(VERIFY, { input: { domainId: domain.id } });
    const { domain: updated, userErrors } = data.verifyDomain;
    if (userErrors.length) { showError(userErrors.map((e) => e.message).join(" ")); return; }
    domains = domains.map((d) => (d.id === updated.id ? updated : d));
    render();
    announce(`${updated.domain}: ${STATE_TEXT[updated.state]}`);
  } catch (error) {
    if (!(error instanceof SessionEnded)) showError(error.message);
  } finally {
    button.disabled = false;
    button.textContent = "Verify now";
  }
}

async function setEnrollment(domain, enrollment, input) {
  const group = input.closest("fieldset");
  group.disabled = true;
  try {
    const data = await graphql(SET_ENROLLMENT, { input: { domainId: domain.id, enrollment } });
    const { domain: updated, userErrors } = data.setDomainEnrollment;
    if (userErrors.length) { showError(userErrors.map((e) => e.message).join(" ")); render(); return; }
    domains = domains.map((d) => (d.id === updated.id ? updated : d));
    render();
    // The card was redrawn: keep the keyboard where it was, on the chosen option.
    document.getElementById(input.id)?.focus();
    const [, label] = ENROLLMENT_CHOICES.find(([value]) => value === enrollment);
    announce(`${updated.domain}: ${label}.`);
  } catch (error) {
    if (!(error instanceof SessionEnded)) showError(error.message);
    render();
  } finally {
    group.disabled = false;
  }
}

async function remove(domain) {
  if (!window.confirm(`Remove ${domain.domain}? People with this email domain will no longer be routed to your organization.`)) return;
  try {
    const data = await graphql(REMOVE, { input: { domainId: domain.id } });
    if (data.removeDomain.userErrors.length) { showError(data.removeDomain.userErrors[0].message); return; }
    domains = domains.filter((d) => d.id !== domain.id);
    render();
    announce(`${domain.domain} removed.`);
  } catch (error) {
    if (!(error instanceof SessionEnded)) showError(error.message);
  }
}

export function start() {
  const form = document.getElementById("add-domain-form");
  form.addEventListener("submit", add);
  form.querySelector("button[type=submit]").disabled = false;
  refresh();
}
