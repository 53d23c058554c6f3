// The portal's GraphQL client: the session cookie rides along (same origin); the CSRF
// token from the page's <meta> goes in a header, which a cross-site page cannot set.

const csrf = document.querySelector('meta[name="gatehouse-csrf"]')?.content ?? "";
export const organizationId =
  document.querySelector('meta[name="gatehouse-organization"]')?.content ?? "";

export class SessionEnded extends Error {}

export async function graphql(query, variables = {}) {
  const response = await fetch("/graphql", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-Gatehouse-CSRF": csrf },
    body: JSON.stringify({ query, variables }),
  });
  if (!response.ok) throw new Error(`The server answered ${response.status}.`);
  const body = await response.json();
  const errors = body.errors ?? [];
  if (errors.some((e) => e.extensions?.code === "UNAUTHENTICATED")) {
    // The session expired (or was revoked) while the page was open.
    window.location.assign("/portal/expired?reason=session");
    throw new SessionEnded();
  }
  if (errors.length) throw new Error(errors[0].message);
  return body.data;
}

export async function copyText(text, button) {
  const label = button.textContent;
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = "Copied";
  } catch {
    // Clipboard access can be refused (insecure origin, permissions): select it instead.
    const target = button.closest(".record-row")?.querySelector("code");
    if (target) window.getSelection()?.selectAllChildren(target);
    button.textContent = "Selected — press Ctrl+C";
  }
  setTimeout(() => { button.textContent = label; }, 2000);
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function announce(message) {
  const status = document.getElementById("status");
  if (status) status.textContent = message;
}
