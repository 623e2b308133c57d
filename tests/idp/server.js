#!/usr/bin/env node
// A real OpenID provider (oidc-provider) wrapped with a few test-only knobs,
// so firecrest-auth's integration tests run against a spec-complete server.
//
//   node tests/idp/server.js [--port N] [--tls-cert FILE --tls-key FILE]
//
// The only line ever written to stdout is `F7T_IDP_ISSUER=<issuer>`, printed
// once the server accepts connections; callers parse it. Everything else goes
// to stderr, and only with F7T_IDP_DEBUG=1 (plus unexpected server errors).
// The process exits when stdin reaches EOF, so a crashed test run leaves no
// server behind.

import { randomBytes, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';

const DEBUG = process.env.F7T_IDP_DEBUG === '1';

// oidc-provider prints notices with console.info (stdout!) and warnings with
// console.warn, including an "unsupported runtime" warning on Node 20. stdout
// must carry the issuer line only, so all console output goes to stderr and
// is dropped unless debugging.
const debug = DEBUG ? (...args) => console.error('[idp]', ...args) : () => {};
console.log = debug;
console.info = debug;
console.warn = debug;

// Loaded after the console is redirected: the module warns at import time.
const { default: Provider } = await import('oidc-provider');

const HOST = '127.0.0.1';
const ROUTES = { token: '/token', device_authorization: '/device/auth' };
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
// Non-URI `audience` values (Keycloak/Auth0 style) become resource indicators
// under this prefix, because RFC 8707 requires absolute URIs; the prefix is
// stripped again from the JWT `aud` claim.
const AUDIENCE_URN = 'urn:f7t:audience:';
// Expired artifacts are kept this long so that e.g. an expired device code
// yields `expired_token` instead of looking unknown (`invalid_grant`).
const EXPIRED_GRACE_S = 600;
// Scheduling jitter allowance when deciding whether a client polled too fast.
const POLL_TOLERANCE_MS = 25;

const DEFAULTS = {
  access_token_ttl: 300,
  refresh_token_ttl: 24 * 60 * 60,
  device_code_ttl: 600,
  device_interval: 1,
  // RFC 8628 3.5: after slow_down the client must add 5 s to its interval;
  // we hold it to that.
  slow_down_increment: 5,
};

function parseArgs(argv) {
  const opts = { port: 0 };
  for (let i = 0; i < argv.length; i += 1) {
    const value = () => {
      if (i + 1 >= argv.length) usage(`${argv[i]} needs a value`);
      i += 1;
      return argv[i];
    };
    switch (argv[i]) {
      case '--port': opts.port = Number.parseInt(value(), 10); break;
      case '--tls-cert': opts.tlsCert = value(); break;
      case '--tls-key': opts.tlsKey = value(); break;
      case '--no-device': opts.noDevice = true; break;
      case '-h': case '--help': usage(); break;
      default: usage(`unknown argument ${argv[i]}`);
    }
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) usage('bad --port');
  if (!opts.tlsCert !== !opts.tlsKey) usage('--tls-cert and --tls-key go together');
  return opts;
}

function usage(problem) {
  if (problem) process.stderr.write(`server.js: ${problem}\n`);
  process.stderr.write('usage: node server.js [--port N] [--tls-cert FILE --tls-key FILE] [--no-device]\n');
  process.exit(problem ? 2 : 0);
}

// ---------------------------------------------------------------------------
// Storage. oidc-provider's bundled memory adapter is an LRU capped at 1000
// entries, which would silently evict run-time registered clients and grants
// once a test binary has issued enough tokens. This one never evicts live data.

const records = new Map(); // "Model:id" -> { payload, expiresAt }
const byGrant = new Map(); // grantId -> Set of "Model:id"
const byUserCode = new Map(); // userCode -> id
const byUid = new Map(); // session uid -> id

class TestAdapter {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    const expiresAt = typeof expiresIn === 'number'
      ? Date.now() + (expiresIn + EXPIRED_GRACE_S) * 1000
      : Infinity;
    records.set(key, { payload, expiresAt });
    if (payload.grantId) {
      if (!byGrant.has(payload.grantId)) byGrant.set(payload.grantId, new Set());
      byGrant.get(payload.grantId).add(key);
    }
    if (payload.userCode) byUserCode.set(payload.userCode, id);
    if (this.model === 'Session' && payload.uid) byUid.set(payload.uid, id);
  }

  async find(id) {
    const key = this.key(id);
    const record = records.get(key);
    if (!record) return undefined;
    if (record.expiresAt <= Date.now()) {
      records.delete(key);
      return undefined;
    }
    return record.payload;
  }

  async findByUserCode(userCode) {
    const id = byUserCode.get(userCode);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUid(uid) {
    const id = byUid.get(uid);
    return id === undefined ? undefined : this.find(id);
  }

  async consume(id) {
    const record = records.get(this.key(id));
    if (record) record.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    records.delete(this.key(id));
  }

  async revokeByGrantId(grantId) {
    for (const key of byGrant.get(grantId) ?? []) records.delete(key);
    byGrant.delete(grantId);
  }
}

// ---------------------------------------------------------------------------
// Per-client test settings (lifetimes, device interval) and counters.

const settings = new Map(); // client_id -> DEFAULTS-shaped object
const counters = new Map(); // client_id -> { token_requests, by_grant_type, device_authorization_requests }
const failures = new Map(); // client_id -> [{ remaining, status, body, ... }]
const lastPoll = new Map(); // device_code -> { at, interval }

// Drops expired records and stale poll timestamps now and then.
setInterval(() => {
  const now = Date.now();
  for (const [key, record] of records) {
    if (record.expiresAt <= now) records.delete(key);
  }
  for (const [grantId, keys] of byGrant) {
    for (const key of keys) if (!records.has(key)) keys.delete(key);
    if (keys.size === 0) byGrant.delete(grantId);
  }
  for (const [code, id] of byUserCode) if (!records.has(`DeviceCode:${id}`)) byUserCode.delete(code);
  const pollNow = performance.now();
  for (const [key, poll] of lastPoll) if (pollNow - poll.at > 3600 * 1000) lastPoll.delete(key);
}, 60 * 1000).unref();

function settingsFor(clientId) {
  return settings.get(clientId) ?? DEFAULTS;
}

function clientIdOf(client, token) {
  return client?.clientId ?? token?.clientId;
}

const STATIC_CLIENTS = [
  {
    client_id: 'cc-post',
    client_secret: 'cc-post-secret',
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: 'firecrest openid offline_access',
  },
  {
    client_id: 'cc-basic',
    client_secret: 'a+b/c=d:e%f&g h',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
  },
  {
    // Short-lived tokens, for C examples that must see a token expire.
    client_id: 'cc-short',
    client_secret: 'cc-short-secret',
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
  },
  {
    client_id: 'device-public',
    token_endpoint_auth_method: 'none',
    grant_types: [DEVICE_GRANT, 'refresh_token'],
    response_types: [],
    redirect_uris: [],
    scope: 'openid offline_access',
  },
  {
    client_id: 'device-confidential',
    client_secret: 'device-secret',
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: [DEVICE_GRANT, 'refresh_token'],
    response_types: [],
    redirect_uris: [],
  },
];
for (const c of STATIC_CLIENTS) settings.set(c.client_id, { ...DEFAULTS });
settings.get('cc-short').access_token_ttl = 3;

// ---------------------------------------------------------------------------
// Provider configuration.

function signingKeys() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'f7t-test-rs256', use: 'sig', alg: 'RS256' }] };
}

function audienceFromResource(resource) {
  return resource.startsWith(AUDIENCE_URN)
    ? decodeURIComponent(resource.slice(AUDIENCE_URN.length))
    : resource;
}

function buildProvider(issuer, { noDevice = false } = {}) {
  const ttlFrom = (field) => (_ctx, token, client) => settingsFor(clientIdOf(client, token))[field];

  const provider = new Provider(issuer, {
    adapter: TestAdapter,
    clients: STATIC_CLIENTS,
    jwks: signingKeys(),
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    scopes: ['openid', 'offline_access', 'firecrest'],
    routes: ROUTES,
    async findAccount(_ctx, sub) {
      return { accountId: sub, async claims() { return { sub }; } };
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      deviceFlow: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx, _client, oneOf) => oneOf,
        // Without this, a device/refresh grant that asked for `openid` plus a
        // resource would get an opaque userinfo token instead of the JWT.
        useGrantedResource: async () => true,
        async getResourceServerInfo(_ctx, _resource, client) {
          // Any absolute URI is accepted as a resource server; it recognises
          // whatever scopes the client may ask for (else a device login for
          // `openid offline_access` would get a JWT with an empty scope).
          return {
            scope: client.scope ?? 'openid offline_access firecrest',
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    formats: {
      customizers: {
        async jwt(_ctx, _token, jwt) {
          if (typeof jwt.payload.aud === 'string') jwt.payload.aud = audienceFromResource(jwt.payload.aud);
        },
      },
    },
    // Rotate on every use; oidc-provider revokes the whole grant when an
    // already-rotated refresh token is presented again.
    rotateRefreshToken: true,
    ttl: {
      AccessToken: ttlFrom('access_token_ttl'),
      ClientCredentials: ttlFrom('access_token_ttl'),
      RefreshToken: ttlFrom('refresh_token_ttl'),
      DeviceCode: ttlFrom('device_code_ttl'),
      IdToken: ttlFrom('access_token_ttl'),
      Grant: (_ctx, grant) => Math.max(30 * 24 * 3600, settingsFor(grant?.clientId).refresh_token_ttl + 60),
      AuthorizationCode: 60,
      Interaction: 3600,
      Session: 24 * 3600,
    },
    renderError(ctx, out) {
      ctx.type = 'json';
      ctx.body = out;
    },
  });

  // oidc-provider's device authorization response has no `interval`, which
  // makes clients fall back to RFC 8628's 5 s; tests want it short and explicit.
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.oidc?.route === 'device_authorization' && ctx.status === 200 && ctx.body?.device_code) {
      ctx.body.interval = settingsFor(ctx.oidc.client?.clientId).device_interval;
    }
    // --no-device plays a provider that does not offer the device grant.
    if (noDevice && ctx.oidc?.route === 'discovery' && ctx.body) {
      delete ctx.body.device_authorization_endpoint;
    }
  });

  provider.on('server_error', (_ctx, err) => console.error('[idp] server_error:', err));
  if (DEBUG) {
    for (const event of ['grant.error', 'device_authorization.error', 'introspection.error', 'revocation.error']) {
      provider.on(event, (_ctx, err) => debug(event, err.message, err.error_description ?? ''));
    }
  }
  return provider;
}

// ---------------------------------------------------------------------------
// HTTP plumbing.

const BODY_LIMIT = 64 * 1024;

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > BODY_LIMIT) throw Object.assign(new Error('body too large'), { status: 413 });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res, status, body, headers = {}) {
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

function oauthError(res, status, error, description) {
  send(res, status, { error, error_description: description });
}

// Mirrors oidc-provider's own Basic decoding (URL-decoding of both halves),
// so requests are attributed to the client the provider will see.
function basicClientId(header) {
  const m = /^basic\s+(\S+)$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  const raw = i === -1 ? decoded : decoded.slice(0, i);
  try {
    return decodeURIComponent(raw.replace(/\+/g, '%20'));
  } catch {
    return raw;
  }
}

function countersFor(clientId) {
  if (!counters.has(clientId)) {
    counters.set(clientId, { token_requests: 0, by_grant_type: {}, device_authorization_requests: 0 });
  }
  return counters.get(clientId);
}

function count(clientId, grantType) {
  const c = countersFor(clientId);
  c.token_requests += 1;
  const key = grantType ?? '';
  c.by_grant_type[key] = (c.by_grant_type[key] ?? 0) + 1;
}

function takeInjectedFailure(clientId) {
  const queue = failures.get(clientId);
  if (!queue?.length) return undefined;
  const failure = queue[0];
  failure.remaining -= 1;
  if (failure.remaining <= 0) queue.shift();
  return failure;
}

function replyInjected(res, f) {
  const headers = { 'content-type': f.content_type ?? 'application/json' };
  if (f.retry_after !== undefined) headers['retry-after'] = String(f.retry_after);
  const body = f.body ?? JSON.stringify({ error: 'temporarily_unavailable', error_description: 'injected failure' });
  send(res, f.status, body, headers);
}

// Returns true when the poll came sooner than the client's current interval.
function pollTooSoon(deviceCode, clientId) {
  const now = performance.now();
  const prev = lastPoll.get(deviceCode);
  if (!prev) {
    lastPoll.set(deviceCode, { at: now, interval: settingsFor(clientId).device_interval });
    return false;
  }
  const tooSoon = now - prev.at < prev.interval * 1000 - POLL_TOLERANCE_MS;
  prev.at = now;
  if (tooSoon) prev.interval += settingsFor(clientId).slow_down_increment;
  return tooSoon;
}

function rewriteAudience(form) {
  const audience = form.get('audience');
  if (audience === null) return;
  form.delete('audience');
  if (form.has('resource')) return;
  const isUri = URL.canParse(audience) && !audience.includes('#');
  form.set('resource', isUri ? audience : AUDIENCE_URN + encodeURIComponent(audience));
}

// Hands a request whose body we already consumed to oidc-provider, which
// supports pre-parsed bodies via req.body.
function forward(providerCallback, req, res, form) {
  req.body = form.toString();
  return providerCallback(req, res);
}

async function tokenEndpoint(providerCallback, req, res) {
  const form = new URLSearchParams(await readBody(req));
  const clientId = form.get('client_id') ?? basicClientId(req.headers.authorization) ?? '';
  const grantType = form.get('grant_type');
  count(clientId, grantType);

  const failure = takeInjectedFailure(clientId);
  if (failure) return replyInjected(res, failure);

  if (grantType === DEVICE_GRANT && form.get('device_code') && pollTooSoon(form.get('device_code'), clientId)) {
    return oauthError(res, 400, 'slow_down', 'polling faster than the advertised interval');
  }

  rewriteAudience(form);
  return forward(providerCallback, req, res, form);
}

async function deviceAuthorizationEndpoint(providerCallback, req, res) {
  const form = new URLSearchParams(await readBody(req));
  countersFor(form.get('client_id') ?? basicClientId(req.headers.authorization) ?? '').device_authorization_requests += 1;
  rewriteAudience(form);
  return forward(providerCallback, req, res, form);
}

// ---------------------------------------------------------------------------
// Test-only API under /test/.

const GRANT_ALIASES = { device_code: DEVICE_GRANT };

function badRequest(message) {
  return Object.assign(new Error(message), { status: 400 });
}

function positiveInt(value, name, fallback) {
  if (value === undefined || value === null) return fallback;
  if (!Number.isInteger(value) || value <= 0) throw badRequest(`${name} must be a positive integer`);
  return value;
}

function nonNegativeInt(value, name, fallback) {
  if (value === undefined || value === null) return fallback;
  if (!Number.isInteger(value) || value < 0) throw badRequest(`${name} must be a non-negative integer`);
  return value;
}

async function registerClient(provider, spec) {
  const clientId = spec.client_id;
  if (typeof clientId !== 'string' || !clientId) throw badRequest('client_id is required');
  if (settings.has(clientId)) throw Object.assign(new Error(`client ${clientId} already exists`), { status: 409 });
  const grantTypes = (spec.grant_types ?? ['client_credentials']).map((g) => GRANT_ALIASES[g] ?? g);
  const metadata = {
    client_id: clientId,
    token_endpoint_auth_method: spec.token_endpoint_auth_method ?? 'client_secret_post',
    grant_types: grantTypes,
    response_types: [],
    redirect_uris: [],
  };
  if (spec.client_secret !== undefined) metadata.client_secret = spec.client_secret;
  if (spec.scope !== undefined) metadata.scope = spec.scope;

  const clientSettings = {
    access_token_ttl: positiveInt(spec.access_token_ttl, 'access_token_ttl', DEFAULTS.access_token_ttl),
    refresh_token_ttl: positiveInt(spec.refresh_token_ttl, 'refresh_token_ttl', DEFAULTS.refresh_token_ttl),
    device_code_ttl: positiveInt(spec.device_code_ttl, 'device_code_ttl', DEFAULTS.device_code_ttl),
    device_interval: positiveInt(spec.device_interval, 'device_interval', DEFAULTS.device_interval),
    slow_down_increment: nonNegativeInt(spec.slow_down_increment, 'slow_down_increment', DEFAULTS.slow_down_increment),
  };

  try {
    // Validates the metadata the same way the provider will on lookup.
    // eslint-disable-next-line no-new
    new provider.Client(metadata);
  } catch (err) {
    throw badRequest(`invalid client metadata: ${err.error_description ?? err.message}`);
  }
  await provider.Client.adapter.upsert(clientId, metadata);
  settings.set(clientId, clientSettings);
}

function normalizeUserCode(userCode) {
  return String(userCode).toUpperCase().replace(/\W/g, '');
}

async function findPendingDeviceCode(provider, userCode) {
  if (typeof userCode !== 'string' || !userCode) throw badRequest('user_code is required');
  const code = await provider.DeviceCode.findByUserCode(normalizeUserCode(userCode), { ignoreExpiration: true });
  if (!code) throw Object.assign(new Error('unknown user_code'), { status: 404 });
  if (code.isExpired) throw Object.assign(new Error('device code expired'), { status: 410 });
  if (code.accountId || code.error) throw Object.assign(new Error('device code already decided'), { status: 409 });
  return code;
}

// Does what the browser consent step would: records a Grant covering every
// requested scope (offline_access included, so a refresh token is issued) and
// the requested resource, and binds it to the device code.
async function approveDevice(provider, { user_code: userCode, account_id: accountId }) {
  if (typeof accountId !== 'string' || !accountId) throw badRequest('account_id is required');
  const code = await findPendingDeviceCode(provider, userCode);
  const scope = code.params?.scope ?? '';
  const scopes = scope.split(' ').filter(Boolean);
  const resources = [code.params?.resource ?? []].flat();

  const grant = new provider.Grant({ accountId, clientId: code.clientId });
  if (scopes.length) grant.addOIDCScope(scope);
  for (const resource of resources) grant.addResourceScope(resource, scope);

  Object.assign(code, {
    accountId,
    authTime: Math.floor(Date.now() / 1000),
    grantId: await grant.save(),
    scope: scope || undefined,
  });
  if (resources.length) code.resource = resources.length === 1 ? resources[0] : resources;
  await code.save();
}

async function denyDevice(provider, { user_code: userCode }) {
  const code = await findPendingDeviceCode(provider, userCode);
  Object.assign(code, { error: 'access_denied', errorDescription: 'End-User denied the authorization request' });
  await code.save();
}

async function testApi(provider, req, res, url) {
  const route = `${req.method} ${url.pathname}`;
  const json = async () => {
    const text = await readBody(req);
    try {
      const value = text ? JSON.parse(text) : {};
      if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
      return value;
    } catch {
      throw badRequest('body must be a JSON object');
    }
  };

  switch (route) {
    case 'POST /test/clients':
      await registerClient(provider, await json());
      return send(res, 201, { ok: true });
    case 'GET /test/count': {
      const c = counters.get(url.searchParams.get('client_id') ?? '');
      return send(res, 200, c ?? { token_requests: 0, by_grant_type: {}, device_authorization_requests: 0 });
    }
    case 'POST /test/fail': {
      const spec = await json();
      if (typeof spec.client_id !== 'string') throw badRequest('client_id is required');
      const status = positiveInt(spec.status, 'status', 503);
      if (status < 100 || status > 599) throw badRequest('status must be an HTTP status code');
      if (spec.body !== undefined && typeof spec.body !== 'string') throw badRequest('body must be a string');
      const failure = {
        remaining: positiveInt(spec.count, 'count', 1),
        status,
        body: spec.body,
        content_type: spec.content_type,
        retry_after: spec.retry_after,
      };
      if (!failures.has(spec.client_id)) failures.set(spec.client_id, []);
      failures.get(spec.client_id).push(failure);
      return send(res, 200, { ok: true });
    }
    case 'POST /test/device/approve':
      await approveDevice(provider, await json());
      return send(res, 200, { ok: true });
    case 'POST /test/device/deny':
      await denyDevice(provider, await json());
      return send(res, 200, { ok: true });
    default:
      return send(res, 404, { error: 'not_found', error_description: route });
  }
}

// ---------------------------------------------------------------------------
// Server.

function makeHandler(getProvider, { plainOnTlsPort }) {
  return async (req, res) => {
    const started = performance.now();
    if (DEBUG) res.on('finish', () => debug(req.method, req.url, res.statusCode, `${Math.round(performance.now() - started)}ms`));
    try {
      const { provider, callback } = getProvider();
      const url = new URL(req.url, 'http://placeholder');
      if (url.pathname.startsWith('/test/')) return await testApi(provider, req, res, url);
      if (plainOnTlsPort) {
        // Only the control API is reachable without TLS (the Rust harness has
        // no TLS client); anything else must not silently work over http.
        return oauthError(res, 400, 'invalid_request', 'this port serves HTTPS; only /test/ is available over plain HTTP');
      }
      if (req.method === 'POST' && url.pathname === ROUTES.token) return await tokenEndpoint(callback, req, res);
      if (req.method === 'POST' && url.pathname === ROUTES.device_authorization) {
        return await deviceAuthorizationEndpoint(callback, req, res);
      }
      return await callback(req, res);
    } catch (err) {
      if (!err.status || err.status >= 500) console.error('[idp] error:', err);
      const status = err.status ?? 500;
      const error = { 404: 'not_found', 409: 'conflict', 410: 'expired' }[status]
        ?? (status < 500 ? 'invalid_request' : 'server_error');
      if (!res.headersSent) send(res, status, { error, error_description: err.message });
      return undefined;
    }
  };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const tls = Boolean(opts.tlsCert);

  let state;
  const getProvider = () => {
    if (!state) throw new Error('provider not ready');
    return state;
  };

  let listener;
  if (tls) {
    // One port speaks both: TLS for the issuer, plain HTTP for /test/ only.
    // The first byte of a TLS connection is a handshake record (0x16).
    const secure = https.createServer(
      { cert: readFileSync(opts.tlsCert), key: readFileSync(opts.tlsKey) },
      makeHandler(getProvider, { plainOnTlsPort: false }),
    );
    const plain = http.createServer(makeHandler(getProvider, { plainOnTlsPort: true }));
    secure.on('tlsClientError', (err) => debug('tls client error:', err.message));
    listener = net.createServer((socket) => {
      socket.once('data', (chunk) => {
        socket.pause();
        socket.unshift(chunk);
        (chunk[0] === 0x16 ? secure : plain).emit('connection', socket);
        process.nextTick(() => socket.resume());
      });
      socket.on('error', (err) => debug('socket error:', err.message));
    });
  } else {
    listener = http.createServer(makeHandler(getProvider, { plainOnTlsPort: false }));
  }

  await new Promise((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(opts.port, HOST, resolve);
  });
  const issuer = `${tls ? 'https' : 'http'}://${HOST}:${listener.address().port}`;
  const provider = buildProvider(issuer, { noDevice: Boolean(opts.noDevice) });
  state = { provider, callback: provider.callback() };

  const shutdown = () => {
    listener.close();
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  process.stdin.on('end', shutdown);
  process.stdin.on('error', shutdown);
  process.stdin.resume();

  process.stdout.write(`F7T_IDP_ISSUER=${issuer}\n`);
}

main().catch((err) => {
  console.error('[idp] failed to start:', err);
  process.exit(1);
});
