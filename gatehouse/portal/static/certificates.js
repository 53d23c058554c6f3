// Certificate renewal page: each SAML connection's IdP certificates with their expiry; add the
// new certificate (or the IdP's new metadata) beside the old one, then remove the old one.
import { announce, el, graphql, organizationId, SessionEnded } from "./api.js";

const CONN = `id name state saml { idpCertificates { fingerprint subject notAfter expired } }`;
const LIST = `query PortalCertificates($id: ID!) { organization(id: $id) { connections { type ${CONN} } } }`;
const ADD = `mutation PortalAddCertificate($input: AddSamlCertificateInput!) {
  addSamlCertificate(input: $input) { connection { ${CONN} } userErrors { field code message } } }`;
const REMOVE = `mutation PortalRemoveCertificate($input: RemoveSamlCertificateInput!) {
  removeSamlCertificate(input: $input) { connection { ${CONN} } userErrors { field code message } } }`;
const DAY_MS = 86_400_000;

let connections = [];

function showError(message) {
  const box = document.getElementById("cert-error");
  box.textContent = message;
  box.hidden = !message;
}

async function run(work) {
  showError("");
  try { await work(); } catch (error) { if (!(error instanceof SessionEnded)) showError(error.message); }
}

function daysLeft(cert) {
  return Math.floor((new Date(cert.notAfter).getTime() - Date.now()) / DAY_MS);
}

function expiryText(cert) {
  const when = new Date(cert.notAfter).toLocaleDateString();
  if (cert.expired) return `Expired on ${when}`;
  const days = daysLeft(cert);
  return `Expires on ${when} (in ${days} day${days === 1 ? "" : "s"})`;
}

function certificateRow(conn, cert, removable) {
  const soon = cert.expired || daysLeft(cert) <= 30;
  return el("li", { class: "record-row cert-row", "data-testid": "certificate", "data-fingerprint": cert.fingerprint },
    el("span", { class: "record-label" }, cert.subject),
    el("span", { class: soon ? "badge state-expiring" : "badge state-active", "data-testid": "expiry" }, expiryText(cert)),
    removable
      ? el("button", { type: "button", class: "button small secondary", "aria-label": `Remove the certificate ${cert.subject} expiring ${new Date(cert.notAfter).toLocaleDateString()}`,
        onclick: () => remove(conn, cert) }, "Remove")
      : null);
}

function addForm(conn) {
  const id = `new-${conn.id}`;
  const form = el("form", { class: "add-form" },
    el("label", { for: id }, "New certificate (PEM) or your identity provider's new metadata XML"),
    el("textarea", { id, name: "value", rows: "6", required: true, spellcheck: "false" }),
    el("p", { class: "actions" }, el("button", { type: "submit", class: "button" }, "Add certificate")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = form.elements.value.value.trim();
    const input = { connectionId: conn.id };
    if (value.startsWith("<")) input.metadataXml = value; else input.certificate = value;
    run(async () => {
      const data = await graphql(ADD, { input });
      const { connection, userErrors } = data.addSamlCertificate;
      if (userErrors.length) return showError(userErrors.map((e) => e.message).join(" "));
      replace(connection);
      announce("New certificate added. Both certificates are accepted until you remove the old one.");
    });
  });
  return form;
}

function remove(conn, cert) {
  run(async () => {
    const data = await graphql(REMOVE, { input: { connectionId: conn.id, fingerprint: cert.fingerprint } });
    const { connection, userErrors } = data.removeSamlCertificate;
    if (userErrors.length) return showError(userErrors.map((e) => e.message).join(" "));
    replace(connection);
    announce("Old certificate removed.");
  });
}

function replace(updated) {
  connections = connections.map((c) => (c.id === updated.id ? updated : c));
  render();
}

function card(conn) {
  const certs = conn.saml.idpCertificates;
  return el("article", { class: "card", "aria-label": conn.name },
    el("h2", {}, conn.name),
    el("h3", {}, "Certificates accepted now"),
    el("ul", { class: "record" }, certs.map((cert) => certificateRow(conn, cert, certs.length > 1))),
    el("h3", {}, "Add the new certificate"),
    addForm(conn));
}

function render() {
  const app = document.getElementById("cert-app");
  app.setAttribute("aria-busy", "false");
  if (!connections.length) {
    app.replaceChildren(el("p", { class: "muted" }, "There is no SAML connection to renew."));
    return;
  }
  app.replaceChildren(...connections.map(card));
}

export function start() {
  run(async () => {
    const data = await graphql(LIST, { id: organizationId });
    connections = (data.organization?.connections ?? []).filter((c) => c.type === "SAML");
    render();
  });
}
