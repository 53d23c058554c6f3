// Directory page: create the SCIM directory (in PREVIEW), reveal its token once, rotate it
// without downtime (both tokens work until the admin completes the rotation), watch counts,
// review the held changes and apply them, read the recent SCIM requests.
import { announce, copyText, el, graphql, organizationId, SessionEnded } from "./api.js";
import { REQUESTS, requestLog } from "./recorder.js";

const DIR = `id name type state mode scimBaseUrl userCount groupCount lastActivityAt tokenRotationExpiresAt
  groups(first: 100) { edges { node { id name } } }
  roleMappings { priority group { id } role { slug } }
  pendingChanges(first: 100) { totalCount joiners movers leavers edges { node {
    kind email role { name } previousRole { name } mapping { group { name } } } } }
  ${REQUESTS}`;
const LIST = `query PortalDirectories($id: ID!) { organization(id: $id) {
  directories { ${DIR} } roles { slug name } } }`;
const CREATE = `mutation PortalCreateDirectory($input: CreateDirectoryInput!) {
  createDirectory(input: $input) { directory { ${DIR} } bearerToken userErrors { field code message } } }`;
const ROTATE = `mutation PortalRotate($input: DirectoryInput!) {
  rotateDirectoryToken(input: $input) { directory { ${DIR} } bearerToken userErrors { code message } } }`;
const COMPLETE = `mutation PortalCompleteRotation($input: DirectoryInput!) {
  completeDirectoryTokenRotation(input: $input) { directory { ${DIR} } userErrors { code message } } }`;
const CANCEL = `mutation PortalCancelRotation($input: DirectoryInput!) {
  cancelDirectoryTokenRotation(input: $input) { directory { ${DIR} } userErrors { code message } } }`;
const MAP = `mutation PortalMap($input: SetGroupRoleMappingInput!) {
  setGroupRoleMapping(input: $input) { userErrors { code message } } }`;
const APPLY = `mutation PortalApply($input: DirectoryInput!) {
  applyDirectoryChanges(input: $input) { directory { ${DIR} } applied { joiners movers leavers }
    userErrors { code message } } }`;

const POLL_MS = 4000;
const TYPES = { OKTA: "Okta", ENTRA: "Microsoft Entra ID", ONELOGIN: "OneLogin", JUMPCLOUD: "JumpCloud", GOOGLE: "Google Workspace", GENERIC_SCIM: "Other SCIM 2.0 provider" };
const KINDS = { JOINER: "Joins", MOVER: "Changes role", LEAVER: "Leaves" };
let directory = null;
let roles = [];
let token = null; // shown once, kept only in this page's memory
let timer = null;

function showError(message) {
  const box = document.getElementById("dir-error");
  box.textContent = message;
  box.hidden = !message;
}

async function run(work) {
  showError("");
  try { await work(); } catch (error) { if (!(error instanceof SessionEnded)) showError(error.message); }
}

function copyRow(label, value, testid) {
  return el("div", { class: "record-row" },
    el("span", { class: "record-label" }, label),
    el("code", { "data-testid": testid }, value),
    el("button", { type: "button", class: "button small secondary", "aria-label": `Copy ${label}`,
      onclick: (event) => copyText(value, event.currentTarget) }, "Copy"));
}

function createForm() {
  const form = el("form", { class: "card add-form" },
    el("label", { for: "dir-type" }, "Your identity provider"),
    el("select", { id: "dir-type", name: "type" },
      Object.entries(TYPES).map(([value, label]) => el("option", { value }, label))),
    el("p", { class: "actions" }, el("button", { type: "submit", class: "button" }, "Create directory")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const type = form.elements.type.value;
    run(async () => {
      // PREVIEW: the first push is held for review here before anyone gets access.
      const data = await graphql(CREATE, { input: { organizationId, name: TYPES[type], type, mode: "PREVIEW" } });
      const { directory: created, bearerToken, userErrors } = data.createDirectory;
      if (userErrors.length) return showError(userErrors.map((e) => e.message).join(" "));
      directory = created;
      token = bearerToken;
      render();
      announce("Directory created. Copy the token now: it is shown only once.");
    });
  });
  return form;
}

function tokenBox() {
  if (!token) return null;
  return el("div", { class: "card alert-ok", role: "group", "aria-label": "Bearer token" },
    el("h3", {}, "Bearer token — copy it now"),
    el("p", {}, "For your security this token is shown only once. If you lose it, rotate it to get a new one."),
    el("div", { class: "record" }, copyRow("Token", token, "scim-token")));
}

function mappingEditor(dir) {
  const groups = dir.groups.edges.map((e) => e.node);
  if (!groups.length) return el("p", { class: "muted" }, "Groups appear here once your identity provider pushes them; then choose a role for each.");
  const current = new Map(dir.roleMappings.map((m) => [m.group.id, m.role.slug]));
  return el("div", { class: "mapping" }, groups.map((g) => {
    const id = `map-${g.id}`;
    return el("div", { class: "mapping-row" },
      el("label", { for: id }, g.name),
      el("select", { id, onchange: (event) => setMapping(dir, g, event.currentTarget.value) },
        el("option", { value: "" }, "No role from this group"),
        roles.map((r) => el("option", { value: r.slug, selected: current.get(g.id) === r.slug }, r.name))));
  }));
}

function setMapping(dir, group, slug) {
  run(async () => {
    const data = await graphql(MAP, { input: { directoryId: dir.id, groupId: group.id, roleSlug: slug || null } });
    if (data.setGroupRoleMapping.userErrors.length) return showError(data.setGroupRoleMapping.userErrors[0].message);
    announce(slug ? `${group.name} members get the ${slug} role.` : `${group.name} no longer sets a role.`);
    await refresh();
  });
}

function changeRow({ node: c }) {
  const from = c.previousRole ? `${c.previousRole.name} → ` : "";
  const why = c.mapping ? `from ${c.mapping.group.name}` : c.kind === "LEAVER" ? "deactivated by the IdP" : "default role";
  return el("tr", {}, el("td", {}, KINDS[c.kind]), el("td", {}, c.email),
    el("td", {}, `${from}${c.role.name}`), el("td", {}, why));
}

function preview(dir) {
  const p = dir.pendingChanges;
  return el("section", { class: "card", "aria-labelledby": "preview-title", "data-testid": "preview" },
    el("h3", { id: "preview-title" }, "4. Review, then apply"),
    el("p", {}, "Preview mode: your identity provider's pushes are received and answered, but nobody joins, moves or leaves until you apply."),
    el("dl", { class: "counts" },
      el("div", {}, el("dt", {}, "Joiners"), el("dd", { "data-testid": "joiners" }, String(p.joiners))),
      el("div", {}, el("dt", {}, "Movers"), el("dd", { "data-testid": "movers" }, String(p.movers))),
      el("div", {}, el("dt", {}, "Leavers"), el("dd", { "data-testid": "leavers" }, String(p.leavers)))),
    p.edges.length
      ? el("table", { class: "log", "data-testid": "pending-changes" },
        el("caption", {}, "What applying does"),
        el("thead", {}, el("tr", {}, ["Change", "Email", "Role", "Why"].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, p.edges.map(changeRow)))
      : el("p", { class: "muted" }, "Nothing to apply yet."),
    el("p", { class: "actions" },
      el("button", { type: "button", class: "button", onclick: () => apply(dir) }, "Apply changes")));
}

function apply(dir) {
  const p = dir.pendingChanges;
  if (!window.confirm(`Apply ${p.totalCount} changes and switch the directory to live sync?`)) return;
  run(async () => {
    const data = await graphql(APPLY, { input: { directoryId: dir.id } });
    const { directory: updated, applied, userErrors } = data.applyDirectoryChanges;
    if (userErrors.length) return showError(userErrors.map((e) => e.message).join(" "));
    directory = updated;
    render();
    announce(`Applied: ${applied.joiners} joined, ${applied.movers} changed role, ${applied.leavers} left. The directory is live.`);
  });
}

function card(dir) {
  const last = dir.lastActivityAt ? new Date(dir.lastActivityAt).toLocaleString() : "No requests yet";
  return el("article", { class: "card" },
    el("div", { class: "domain-head" }, el("h2", {}, dir.name),
      el("span", { class: "badge state-active" }, dir.state === "LINKED" ? "Linked" : "Paused")),
    tokenBox(),
    el("h3", {}, `1. In ${dir.name}`),
    el("p", {}, "Turn on SCIM provisioning and enter this base URL and the bearer token."),
    el("div", { class: "record" }, copyRow("SCIM base URL", dir.scimBaseUrl, "scim-url")),
    rotationBox(dir),
    el("h3", {}, "2. Watch it sync"),
    el("dl", { class: "counts" },
      el("div", {}, el("dt", {}, "Users"), el("dd", { "data-testid": "user-count" }, String(dir.userCount))),
      el("div", {}, el("dt", {}, "Groups"), el("dd", { "data-testid": "group-count" }, String(dir.groupCount))),
      el("div", {}, el("dt", {}, "Last request"), el("dd", {}, last))),
    el("h3", {}, "3. Map groups to roles"),
    mappingEditor(dir),
    dir.mode === "PREVIEW" ? preview(dir) : el("p", { "data-testid": "live" }, "Live: changes from your identity provider apply as they arrive."),
    el("h3", {}, "Recent requests"),
    requestLog(dir.requests));
}

function rotationBox(dir) {
  if (!dir.tokenRotationExpiresAt) {
    return el("p", { class: "actions" }, el("button", { type: "button", class: "button secondary", onclick: rotate }, "Rotate token"));
  }
  const until = new Date(dir.tokenRotationExpiresAt).toLocaleString();
  return el("div", { class: "card", role: "group", "aria-label": "Token rotation" },
    el("h3", {}, "Token rotation in progress"),
    el("p", { "data-testid": "rotation-status" },
      `Both the previous and the new token work until ${until}. Once your identity provider sends the new token, finish the rotation.`),
    el("p", { class: "actions" },
      el("button", { type: "button", class: "button", onclick: () => endRotation(COMPLETE, "completeDirectoryTokenRotation") }, "Finish rotation"),
      el("button", { type: "button", class: "button secondary", onclick: () => endRotation(CANCEL, "cancelDirectoryTokenRotation") }, "Cancel rotation")));
}

function endRotation(mutation, name) {
  run(async () => {
    const data = await graphql(mutation, { input: { directoryId: directory.id } });
    const { directory: updated, userErrors } = data[name];
    if (userErrors.length) return showError(userErrors.map((e) => e.message).join(" "));
    directory = updated;
    token = null;
    render();
    announce(name === "completeDirectoryTokenRotation"
      ? "Rotation finished: only the new token works now."
      : "Rotation cancelled: the previous token keeps working.");
  });
}

function rotate() {
  run(async () => {
    const data = await graphql(ROTATE, { input: { directoryId: directory.id } });
    const { directory: updated, bearerToken, userErrors } = data.rotateDirectoryToken;
    if (userErrors.length) return showError(userErrors.map((e) => e.message).join(" "));
    directory = updated;
    token = bearerToken;
    render();
    announce("New token created. Copy it now: it is shown only once. The previous token keeps working until you finish the rotation.");
  });
}

function render() {
  const app = document.getElementById("dir-app");
  app.setAttribute("aria-busy", "false");
  // Don't rebuild while the admin is choosing a role: polling must not steal focus. The
  // held diff still follows a mapping edit at once.
  if (app.contains(document.activeElement) && document.activeElement.tagName === "SELECT") {
    const held = app.querySelector('[data-testid="preview"]');
    if (held && directory?.mode === "PREVIEW") held.replaceWith(preview(directory));
    return;
  }
  app.replaceChildren(directory ? card(directory) : createForm());
}

async function refresh() {
  await run(async () => {
    const data = await graphql(LIST, { id: organizationId });
    roles = data.organization?.roles ?? [];
    directory = (data.organization?.directories ?? [])[0] ?? null;
    render();
  });
  clearTimeout(timer);
  timer = setTimeout(refresh, POLL_MS);
}

export function start() { refresh(); }
