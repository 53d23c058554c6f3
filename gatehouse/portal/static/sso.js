// SSO page: pick the IdP, copy our SP values into it, upload its metadata, activate.
import { announce, copyText, el, graphql, organizationId, SessionEnded } from "./api.js";
import { ATTEMPTS, attemptLog } from "./recorder.js";

const CONN = `id name type state saml { spEntityId acsUrl spMetadataUrl idpEntityId idpSsoUrl
  idpCertificates { subject notAfter expired } } oidc { issuer clientId redirectUri }
  groupsClaim groupRoleMappings { group priority role { slug name } } ${ATTEMPTS}`;
const LIST = `query PortalConnections($id: ID!) { organization(id: $id) {
  connections { ${CONN} } roles { slug name } } }`;
const MAP = `mutation PortalMapGroup($input: SetConnectionGroupRoleMappingInput!) {
  setConnectionGroupRoleMapping(input: $input) { userErrors { field code message } } }`;
const CREATE = `mutation PortalCreateSaml($input: CreateSamlConnectionInput!) {
  createSamlConnection(input: $input) { connection { ${CONN} } userErrors { field code message } } }`;
const UPDATE = `mutation PortalUpdateConnection($input: UpdateConnectionInput!) {
  updateConnection(input: $input) { connection { ${CONN} } userErrors { field code message } } }`;
const CREATE_OIDC = `mutation PortalCreateOidc($input: CreateOidcConnectionInput!) {
  createOidcConnection(input: $input) { connection { ${CONN} } userErrors { field code message } } }`;
const DELETE = `mutation PortalDeleteConnection($input: ConnectionInput!) {
  deleteConnection(input: $input) { deletedId userErrors { code message } } }`;
const ACTIVATE = `mutation PortalActivate($input: ConnectionInput!) {
  activateConnection(input: $input) { connection { ${CONN} } userErrors { code message } } }`;

const WARN_DAYS = 30;
const DAY_MS = 86_400_000;
const COPY_APP = "In your identity provider, create a SAML 2.0 application";
const IDPS = {
  Okta: [
    "In the Okta Admin Console, go to Applications › Create App Integration › SAML 2.0.",
    "Paste the ACS URL below into “Single sign-on URL” and the Entity ID into “Audience URI”.",
    "Set “Name ID format” to EmailAddress and add attribute statements email, firstName, lastName.",
    "Finish, then open Sign On › “View SAML setup instructions” and download the IdP metadata XML.",
  ],
  "Microsoft Entra ID": [
    "In the Entra admin center, go to Enterprise applications › New application › Create your own application.",
    "Open Single sign-on › SAML and paste the Entity ID into “Identifier” and the ACS URL into “Reply URL”.",
    "Keep the default claims (they include email, given name and surname).",
    "Download “Federation Metadata XML” from the SAML Certificates section.",
  ],
  "Google Workspace": [
    "In the Google Admin console, go to Apps › Web and mobile apps › Add app › Add custom SAML app.",
    "Download the IdP metadata on the “Google Identity Provider details” step.",
    "Paste the ACS URL and Entity ID below into the “Service provider details” step; Name ID format EMAIL.",
    "Map attributes: Primary email → email, First name → firstName, Last name → lastName. Turn the app on for your users.",
  ],
  OneLogin: [
    "In OneLogin, go to Applications › Add App and choose “SAML Custom Connector (Advanced)”.",
    "Paste the Entity ID into “Audience” and the ACS URL into “ACS (Consumer) URL” and “Recipient”.",
    "Add parameters email, firstName and lastName, included in the SAML assertion.",
    "Save, then More Actions › SAML Metadata to download the XML.",
  ],
  JumpCloud: [
    "In the JumpCloud Admin Portal, go to SSO Applications › Add New Application › Custom SAML App.",
    "Paste the Entity ID into “SP Entity ID” and the ACS URL into “ACS URL”.",
    "Add user attributes email, firstName and lastName.",
    "Activate the app, then export its metadata XML.",
  ],
  "Generic SAML": [
    `${COPY_APP} with the ACS URL and Entity ID below.`,
    "Send the user's email as the NameID (format emailAddress) and as an “email” attribute; add firstName and lastName.",
    "Sign assertions with SHA-256.",
    "Download the application's IdP metadata XML.",
  ],
};
const OIDC = "Generic OIDC";
const OIDC_STEPS = [
  "In your identity provider, create an OpenID Connect web application (authorization code flow).",
  "Register the redirect URI below, and allow the scopes openid, email and profile.",
  "Copy the issuer URL, client ID and client secret into the form below.",
];

let connection = null;
let roles = [];

function showError(message) {
  const box = document.getElementById("sso-error");
  box.textContent = message;
  box.hidden = !message;
}

function copyRow(label, value, testid) {
  return el("div", { class: "record-row" },
    el("span", { class: "record-label" }, label),
    el("code", { "data-testid": testid }, value),
    el("button", { type: "button", class: "button small secondary", "aria-label": `Copy ${label}`,
      onclick: (event) => copyText(value, event.currentTarget) }, "Copy"));
}

function pickIdp() {
  const form = el("form", { class: "card", id: "idp-form" },
    el("fieldset", { class: "idp-picker" },
      el("legend", {}, "Which identity provider do you use?"),
      ...[...Object.keys(IDPS), OIDC].map((name, i) => el("label", { class: "idp-option" },
        el("input", { type: "radio", name: "idp", value: name, checked: i === 0 }), ` ${name}`))),
    el("button", { type: "submit", class: "button" }, "Continue"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = new FormData(form).get("idp");
    if (name === OIDC) {
      document.getElementById("sso-app").replaceChildren(oidcForm());
      announce("Step 2: enter your OpenID provider's values.");
      return;
    }
    await run(async () => {
      const data = await graphql(CREATE, { input: { organizationId, name } });
      const { connection: created, userErrors } = data.createSamlConnection;
      if (userErrors.length) return showError(userErrors.map((e) => e.message).join(" "));
      connection = created;
      render();
      announce(`Step 2: set up ${name}.`);
    });
  });
  return form;
}

function oidcForm() {
  const field = (id, label, attrs = {}) => el("div", { class: "field" },
    el("label", { for: id }, label), el("input", { id, name: id, required: true, ...attrs }));
  const form = el("form", { class: "card", id: "oidc-form" },
    el("h2", {}, "Generic OIDC"),
    el("ol", { class: "instructions" }, OIDC_STEPS.map((s) => el("li", {}, s))),
    field("oidc-issuer", "Issuer URL", { type: "url", placeholder: "https://idp.example.com" }),
    field("oidc-client-id", "Client ID", { type: "text", autocomplete: "off" }),
    field("oidc-client-secret", "Client secret", { type: "password", autocomplete: "new-password" }),
    el("button", { type: "submit", class: "button" }, "Create connection"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = new FormData(form);
    await run(async () => {
      const input = { organizationId, name: OIDC, issuer: values.get("oidc-issuer"),
        clientId: values.get("oidc-client-id"), clientSecret: values.get("oidc-client-secret") };
      const data = await graphql(CREATE_OIDC, { input });
      const { connection: created, userErrors } = data.createOidcConnection;
      if (userErrors.length) return showError(userErrors.map((e) => e.message).join(" "));
      connection = created;
      render();
      announce("Connection created. Register the redirect URI at your identity provider.");
    });
  });
  return form;
}

function metadataUrlForm(conn) {
  const input = el("input", { id: "metadata-source-url", type: "url", placeholder: "https://idp.example.com/metadata" });
  const form = el("form", { class: "upload" },
    el("label", { for: "metadata-source-url" }, "IdP metadata URL"),
    el("div", { class: "row" }, input, el("button", { type: "submit", class: "button secondary" }, "Fetch metadata")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const metadataUrl = input.value.trim();
    if (!metadataUrl) return showError("Enter the metadata URL first.");
    await run(async () => {
      // The server fetches the URL (createSamlConnection reads it now; refresh re-reads it):
      // replace the draft by a connection created from the URL.
      const data = await graphql(CREATE, { input: { organizationId, name: conn.name, metadataUrl } });
      const { connection: created, userErrors } = data.createSamlConnection;
      if (userErrors.length) return showError(userErrors.map((e) => e.message).join(" "));
      await graphql(DELETE, { input: { connectionId: conn.id } });
      connection = created;
      render();
      announce("Metadata fetched and saved.");
    });
  });
  return form;
}

function certificates(conn) {
  const certs = conn.saml.idpCertificates;
  if (!certs.length) return null;
  return el("ul", { class: "cert-list", "data-testid": "certificates" }, certs.map((c) => {
    const days = Math.floor((new Date(c.notAfter) - Date.now()) / DAY_MS);
    const date = new Date(c.notAfter).toLocaleDateString(undefined, { dateStyle: "long" });
    const warn = c.expired || days <= WARN_DAYS;
    return el("li", { class: warn ? "cert warn" : "cert" },
      el("strong", {}, c.subject), ` — expires ${date}`,
      warn ? el("p", { class: "cert-warning", "data-testid": "cert-warning" }, c.expired
        ? "This certificate has expired: sign-ins will fail. Upload new metadata from your identity provider."
        : `This certificate expires in ${days} days. Rotate it in your identity provider and upload the new metadata before then.`) : null);
  }));
}

function keyUse(node) {
  for (let n = node.parentElement; n; n = n.parentElement) {
    if (n.localName === "KeyDescriptor") return n.getAttribute("use");
  }
  return null;
}

function parseMetadata(xml) {
  const doc = new DOMParser().parseFromString(xml, "application/xml");
  if (doc.querySelector("parsererror")) throw new Error("This file is not valid XML. Upload the metadata XML file from your identity provider.");
  const md = "urn:oasis:names:tc:SAML:2.0:metadata";
  const entity = doc.getElementsByTagNameNS(md, "EntityDescriptor")[0];
  const sso = [...doc.getElementsByTagNameNS(md, "SingleSignOnService")];
  const redirect = sso.find((s) => s.getAttribute("Binding")?.endsWith("HTTP-Redirect")) ?? sso[0];
  const certs = [...doc.getElementsByTagNameNS("http://www.w3.org/2000/09/xmldsig#", "X509Certificate")]
    .filter((c) => keyUse(c) !== "encryption")
    .map((c) => c.textContent.replace(/\s+/g, ""));
  if (!entity || !redirect || !certs.length) throw new Error("We could not find the entity ID, sign-in URL and certificate in this file. Make sure it is the IdP metadata XML.");
  return { idpEntityId: entity.getAttribute("entityID"), idpSsoUrl: redirect.getAttribute("Location"), idpCertificates: [...new Set(certs)] };
}

function metadataForm(conn) {
  const input = el("input", { id: "metadata-file", type: "file", accept: ".xml,application/xml,text/xml" });
  const form = el("form", { class: "upload" },
    el("label", { for: "metadata-file" }, "IdP metadata XML file"),
    el("div", { class: "row" }, input, el("button", { type: "submit", class: "button secondary" }, "Upload metadata")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = input.files[0];
    if (!file) return showError("Choose the metadata XML file first.");
    await run(async () => {
      const values = parseMetadata(await file.text());
      const data = await graphql(UPDATE, { input: { connectionId: conn.id, ...values } });
      const { connection: updated, userErrors } = data.updateConnection;
      if (userErrors.length) return showError(userErrors.map((e) => e.message).join(" "));
      connection = updated;
      render();
      announce("Metadata saved.");
    });
  });
  return form;
}

const STATE_TEXT = { DRAFT: "Not active yet", VALIDATING: "Waiting for a first sign-in", ACTIVE: "Active", INACTIVE: "Inactive" };

function activation(conn, ready, missing) {
  const test = `/portal/sso/test?connection=${encodeURIComponent(conn.id)}`;
  return conn.state === "ACTIVE"
    ? el("div", {},
      el("p", { class: "ok" }, "Single sign-on is active. People can now sign in with their work accounts."),
      el("a", { class: "button secondary", href: test }, "Test sign-in"))
    : conn.state === "VALIDATING"
      ? el("div", {},
        el("p", {}, `Sign in once through ${conn.name} to confirm everything works: the connection turns Active after the first successful sign-in.`),
        el("a", { class: "button", href: test }, "Test sign-in"))
      : el("button", { type: "button", class: "button", disabled: !ready, onclick: activate },
        ready ? "Activate" : `Activate (${missing})`);
}

function oidcSetup(conn) {
  return el("div", { class: "sso-steps" },
    el("article", { class: "card" },
      el("div", { class: "domain-head" }, el("h2", {}, `${conn.name} (OIDC)`),
        el("span", { class: `badge state-${conn.state.toLowerCase()}`, "data-testid": "connection-state" }, STATE_TEXT[conn.state])),
      el("h3", {}, "1. Register the redirect URI at your identity provider"),
      el("div", { class: "record", role: "group", "aria-label": "Values for your identity provider" },
        copyRow("Redirect URI", conn.oidc.redirectUri, "redirect-uri"),
        copyRow("Issuer", conn.oidc.issuer ?? "", "oidc-issuer"),
        copyRow("Client ID", conn.oidc.clientId ?? "", "oidc-client-id")),
      el("h3", {}, "2. Activate"),
      activation(conn, true, ""),
      el("h3", {}, "Recent sign-in attempts"),
      attemptLog(conn.signInAttempts)),
    el("article", { class: "card" }, groupMappings(conn)));
}

function setup(conn) {
  if (conn.type === "OIDC") return oidcSetup(conn);
  const ready = conn.saml.idpEntityId && conn.saml.idpSsoUrl && conn.saml.idpCertificates.length;
  const steps = IDPS[conn.name] ?? IDPS["Generic SAML"];
  return el("div", { class: "sso-steps" },
    el("article", { class: "card" },
      el("div", { class: "domain-head" }, el("h2", {}, `${conn.name} (SAML)`),
        el("span", { class: `badge state-${conn.state.toLowerCase()}`, "data-testid": "connection-state" }, STATE_TEXT[conn.state])),
      el("h3", {}, `1. In ${conn.name}`),
      el("ol", { class: "instructions" }, steps.map((s) => el("li", {}, s))),
      el("div", { class: "record", role: "group", "aria-label": "Values for your identity provider" },
        copyRow("ACS URL", conn.saml.acsUrl, "acs-url"),
        copyRow("Entity ID", conn.saml.spEntityId, "entity-id"),
        copyRow("Metadata URL", conn.saml.spMetadataUrl, "metadata-url"),
        copyRow("Attributes", "email, firstName, lastName", "attributes")),
      el("h3", {}, "2. Upload the metadata, or give its URL"),
      metadataForm(conn),
      metadataUrlForm(conn),
      certificates(conn),
      el("h3", {}, "3. Activate"),
      activation(conn, ready, "upload the metadata first"),
      el("h3", {}, "Recent sign-in attempts"),
      attemptLog(conn.signInAttempts)),
    el("article", { class: "card" }, groupMappings(conn)));
}

async function reload() {
  const data = await graphql(LIST, { id: organizationId });
  roles = data.organization?.roles ?? [];
  connection = (data.organization?.connections ?? []).find((c) => c.id === connection.id) ?? connection;
  render();
}

async function setMapping(group, roleSlug, priority) {
  await run(async () => {
    const data = await graphql(MAP, { input: { connectionId: connection.id, group, roleSlug, priority } });
    const { userErrors } = data.setConnectionGroupRoleMapping;
    if (userErrors.length) return showError(userErrors.map((e) => e.message).join(" "));
    await reload();
    announce(roleSlug ? `Members of ${group} get the ${roleSlug} role at their next sign-in.` : `${group} no longer sets a role.`);
  });
}

function groupMappings(conn) {
  const rows = conn.groupRoleMappings.map((m) => el("tr", { "data-testid": "group-mapping" },
    el("td", {}, el("code", {}, m.group)), el("td", {}, m.role.name), el("td", {}, String(m.priority)),
    el("td", {}, el("button", { type: "button", class: "button small secondary", "aria-label": `Remove mapping for ${m.group}`,
      onclick: () => setMapping(m.group, null, 0) }, "Remove"))));
  const table = rows.length
    ? el("table", { class: "mappings", "aria-label": "Group to role mappings" },
      el("thead", {}, el("tr", {}, el("th", {}, "IdP group"), el("th", {}, "Role"), el("th", {}, "Priority"), el("th", {}, ""))),
      el("tbody", {}, rows))
    : el("p", { class: "muted" }, "No groups mapped yet: everyone who signs in gets the default role.");
  const form = el("form", { class: "mapping-form", id: "group-mapping-form" },
    el("div", { class: "field" }, el("label", { for: "map-group" }, "IdP group"),
      el("input", { id: "map-group", name: "group", required: true, placeholder: "Engineering", autocomplete: "off" })),
    el("div", { class: "field" }, el("label", { for: "map-role" }, "Role"),
      el("select", { id: "map-role", name: "role" }, roles.map((r) => el("option", { value: r.slug }, r.name)))),
    el("div", { class: "field" }, el("label", { for: "map-priority" }, "Priority"),
      el("input", { id: "map-priority", name: "priority", type: "number", min: "0", max: "1000000", value: "0" })),
    el("button", { type: "submit", class: "button secondary" }, "Add mapping"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const values = new FormData(form);
    setMapping(String(values.get("group")).trim(), values.get("role"), Number(values.get("priority") || 0));
  });
  const claim = el("input", { id: "groups-claim", value: conn.groupsClaim ?? "", placeholder: "groups" });
  const claimForm = el("form", { class: "upload" },
    el("label", { for: "groups-claim" }, conn.type === "OIDC" ? "Groups claim" : "Groups attribute"),
    el("div", { class: "row" }, claim, el("button", { type: "submit", class: "button secondary" }, "Save")));
  claimForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    await run(async () => {
      const data = await graphql(UPDATE, { input: { connectionId: conn.id, groupsClaim: claim.value.trim() || null } });
      const { connection: updated, userErrors } = data.updateConnection;
      if (userErrors.length) return showError(userErrors.map((e) => e.message).join(" "));
      connection = updated;
      render();
      announce("Groups claim saved.");
    });
  });
  return el("section", { class: "group-roles", "aria-labelledby": "group-roles-title" },
    el("h3", { id: "group-roles-title" }, "Map groups to roles (optional)"),
    el("p", {}, `Send the person's groups in the assertion; at each sign-in they get the role of their highest-priority mapped group, or the default role when none matches. Roles set by a connected directory take precedence.`),
    claimForm, table, form);
}

async function activate() {
  await run(async () => {
    const data = await graphql(ACTIVATE, { input: { connectionId: connection.id } });
    const { connection: updated, userErrors } = data.activateConnection;
    if (userErrors.length) return showError(userErrors.map((e) => e.message).join(" "));
    connection = updated;
    render();
    announce(STATE_TEXT[updated.state]);
  });
}

async function run(work) {
  showError("");
  try { await work(); } catch (error) { if (!(error instanceof SessionEnded)) showError(error.message); }
}

function render() {
  const app = document.getElementById("sso-app");
  app.setAttribute("aria-busy", "false");
  app.replaceChildren(connection ? setup(connection) : pickIdp());
}

export async function start() {
  await run(async () => {
    const data = await graphql(LIST, { id: organizationId });
    roles = data.organization?.roles ?? [];
    const all = (data.organization?.connections ?? []).filter((c) => c.type === "SAML" || c.type === "OIDC");
    connection = all.find((c) => c.state !== "INACTIVE") ?? null;
    render();
  });
}
