// Entry point: starts the page's module by its data-page attribute. No build step.
const page = document.querySelector("[data-page]")?.dataset.page;
if (page === "domains") {
  const { start } = await import("./domains.js");
  start();
} else if (page === "directory") {
  const { start } = await import("./directory.js");
  start();
} else if (page === "sso") {
  const { start } = await import("./sso.js");
  start();
}
if (page === "certificates") {
  const { start } = await import("./certificates.js");
  start();
}
if (page === "log-streams") {
  const { start } = await import("./log_streams.js");
  start();
}
if (page === "audit-logs") {
  const { start } = await import("./audit_logs.js");
  start();
}
