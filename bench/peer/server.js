// Ory Polis (BoxyHQ SAML Jackson) as a library behind node:http, the peer that
// bench/bench_peer_polis.py measures Gatehouse against. The routes do what Polis's own Next.js
// API routes do (pages/api/scim/v2.0/[...directory].ts, pages/api/oauth/saml.ts): hand the
// request to Jackson's controllers and write their answer. Without Next.js in front, this is a
// leaner harness than a Polis deployment: the comparison leans, if anything, Polis's way.
//
// Environment: PORT, POLIS_DB_URL (PostgreSQL), POLIS_EXTERNAL_URL, POLIS_SAML_AUDIENCE.
// /bench/* routes create the directory and SAML connection; nothing else calls them.
'use strict';

const http = require('node:http');
const { controllers } = require('@boxyhq/saml-jackson');

const SCIM = /^\/api\/scim\/v2\.0\/([^/?]+)\/([^/?]+)(?:\/([^/?]+))?\/?(?:\?(.*))?$/;

function quietLogger() {
  // Jackson logs at info for every start; errors still reach stderr (the bench's log file).
  return { info: () => {}, warn: console.warn.bind(console), error: console.error.bind(console) };
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res, status, data, headers = {}) {
  const body = data === undefined ? '' : JSON.stringify(data);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
  res.end(body);
}

function bearer(req) {
  const value = req.headers.authorization || '';
  return value.startsWith('Bearer ') ? value.slice(7) : '';
}

async function scim(jackson, req, res, match) {
  const [, directoryId, resourceType, resourceId, search] = match;
  const query = new URLSearchParams(search || '');
  const text = await readBody(req);
  const { status, data } = await jackson.directorySyncController.requests.handle({
    body: text ? JSON.parse(text) : undefined,
    method: req.method,
    directoryId,
    resourceId,
    resourceType,
    apiSecret: bearer(req),
    query: {
      count: query.get('count') ? parseInt(query.get('count'), 10) : undefined,
      startIndex: query.get('startIndex') ? parseInt(query.get('startIndex'), 10) : undefined,
      filter: query.get('filter') || undefined,
      includeMembers: query.get('includeMembers') === 'true',
    },
  });
  send(res, status, data);
}

async function acs(jackson, req, res) {
  const form = new URLSearchParams(await readBody(req));
  const answer = await jackson.oauthController.samlResponse({
    SAMLResponse: form.get('SAMLResponse') || '',
    RelayState: form.get('RelayState') || '',
    idp_hint: form.get('idp_hint') || undefined,
  });
  if (answer.error) {
    send(res, 403, { error: answer.error });
  } else if (answer.redirect_url) {
    res.writeHead(302, { Location: answer.redirect_url });
    res.end();
  } else {
    send(res, 400, { error: 'no redirect' });
  }
}

async function setup(jackson, req, res, path) {
  const body = JSON.parse((await readBody(req)) || '{}');
  if (path === '/bench/directory') {
    const { data, error } = await jackson.directorySyncController.directories.create(body);
    if (error) return send(res, error.code || 400, { error: error.message });
    return send(res, 201, { id: data.id, secret: data.scim.secret, path: data.scim.path });
  }
  if (path === '/bench/connection') {
    const connection = await jackson.connectionAPIController.createSAMLConnection(body);
    return send(res, 201, { clientID: connection.clientID });
  }
  return send(res, 404, { error: 'not found' });
}

async function main() {
  const port = parseInt(process.env.PORT || '0', 10);
  const externalUrl = process.env.POLIS_EXTERNAL_URL || `http://127.0.0.1:${port}`;
  const jackson = await controllers({
    externalUrl,
    samlPath: '/api/oauth/saml',
    samlAudience: process.env.POLIS_SAML_AUDIENCE || 'https://polis.bench',
    idpEnabled: true, // IdP-initiated sign-in, as the bench's responses are
    noAnalytics: true,
    db: { engine: 'sql', type: 'postgres', url: process.env.POLIS_DB_URL },
    // Directory events are stored in the database for a later batch (no cron in the bench),
    // as Gatehouse stores its events in the request's transaction and delivers them later.
    dsync: { webhookBatchSize: 50 },
    openid: {},
    logger: quietLogger(),
  });
  const server = http.createServer((req, res) => {
    const url = req.url || '/';
    let work;
    const match = SCIM.exec(url);
    if (match) work = scim(jackson, req, res, match);
    else if (req.method === 'POST' && url === '/api/oauth/saml') work = acs(jackson, req, res);
    else if (req.method === 'POST' && url.startsWith('/bench/')) work = setup(jackson, req, res, url);
    else if (url === '/healthz') work = Promise.resolve(send(res, 200, { ok: true }));
    else work = Promise.resolve(send(res, 404, { error: 'not found' }));
    work.catch((err) => {
      console.error(err);
      if (!res.headersSent) send(res, err.statusCode || 500, { error: String(err.message || err) });
      else res.end();
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(port, '127.0.0.1', () => {
    console.log(`listening ${server.address().port}`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
