// A loopback OpenID Connect provider for the social sign-in tests, built on oauth2-mock-server 9.3.0
// (the package Better Auth's own tests use), pinned in tests/interop/package.json.
//
//   node tests/social/idp_mock.mjs [port]      (port 0 or absent: a free one)
//
// Binds 127.0.0.1 only; the issuer is exactly http://127.0.0.1:<port> (no trailing slash). Prints ONE line
// of JSON on stdout once it listens: {"url":"http://127.0.0.1:<port>"}. Endpoints: /.well-known/openid-configuration,
// /authorize (302 straight to redirect_uri with code, state and iss: no login UI), /token, /userinfo, /jwks.
// id_token RS256, claims = the current profile + aud (client_id) + nonce (from /authorize) + iss/iat/exp.
//
// Control API (JSON, same server; see tests/social/conftest.py MockIdP for the Python side):
//   POST /__control/profile      body = claims object: replaces the current profile
//   POST /__control/fail         {"endpoint": "authorize"|"token"|"userinfo"|"jwks"|"discovery",
//                                 "mode": "deny"|"status"|"hang"|"error_json", "status": 503, "times": 1,
//                                 "error": "invalid_grant", "error_description": "..."}: the next `times`
//                                requests to that endpoint fail (deny: authorize only, 302 with error=access_denied;
//                                status: that status + small JSON body; hang: no answer, socket closed after 60 s;
//                                error_json: `status` (default 400) with {"error": <error>} (authorize: 302 with it))
//   POST /__control/id_token     {"iss", "aud", "exp_offset", "iat_offset", "nonce" (null = drop it), "claims": {...},
//                                 "alg": "none"|"HS256", "secret" (HS256 key, default the client_secret sent),
//                                 "foreign_key": true (RS256 by a key not in /jwks, same kid)}: the next id_token only
//   POST /__control/authorize    {"iss": "..."|null, "params": {...}}: the next authorize redirect only
//                                (iss null = leave the RFC 9207 iss parameter out)
//   POST /__control/config       {"strict": false}: turn the checks this script adds (below) off
//   POST /__control/reset        failures, overrides, request log, strict mode and the profile back to defaults
//   GET  /__control/requests     recorded /token and /userinfo requests, newest last:
//                                [{endpoint, method, path, query, headers, body}]; DELETE clears the log
//
// What oauth2-mock-server 9.3.0 does by itself (measured with {"strict": false}, test_idp_fixtures.py keeps it true):
//   - wrong code_verifier: 400 application/problem+json {"title":"Bad Request","detail":"code_verifier provided does
//     not match code_challenge"}; a malformed one (not 43-128 RFC 7636 chars): 400 "Invalid 'code_verifier'...".
//   - absent code_verifier: 200, tokens issued (PKCE is only checked when the request carries a verifier).
//   - replayed code: 200 again without a verifier; with a verifier 400 "code_challenge required" (the challenge is
//     deleted on first use). It never checks that a code was issued at all: any string is accepted as a code.
//   - redirect_uri, client_id and client_secret at /token are not checked; any refresh_token is accepted; /userinfo
//     answers without an Authorization header; issuer defaults to http://localhost:<port> (set here instead).
// So by default (strict) this script adds, in front of the package: codes must come from /authorize and are
// single-use; client_id and redirect_uri must match the authorize request; when a code_challenge was sent the
// code_verifier is required and must match (400 {"error":"invalid_grant"}); refresh tokens must be ones it issued;
// /userinfo needs a Bearer access token it signed (401 invalid_token otherwise).

import { createHash } from "node:crypto";
import { createServer } from "node:http";
import { Readable } from "node:stream";

const { load } = await import(new URL("../interop/resolve.mjs", import.meta.url));
const { OAuth2Issuer, OAuth2Service } = await load("oauth2-mock-server");
const jose = await load("jose");

const DEFAULT_PROFILE = Object.freeze({
  sub: "user-1",
  email: "oidc-user@example.com",
  email_verified: true,
  name: "OIDC User",
});
const HANG_MS = 60_000;
const ENDPOINTS = {
  "GET /.well-known/openid-configuration": "discovery",
  "GET /authorize": "authorize",
  "POST /token": "token",
  "GET /userinfo": "userinfo",
  "POST /userinfo": "userinfo",
  "GET /jwks": "jwks",
};

const issuer = new OAuth2Issuer();
const service = new OAuth2Service(issuer);
const signingKey = await issuer.keys.generate("RS256");

// Mutable state, reset by POST /__control/reset.
let profile = { ...DEFAULT_PROFILE };
let failures = {}; // endpoint -> {mode, status, times, error, error_description}
let idTokenOverride = null;
let authorizeOverride = null;
let strict = true;
let recorded = [];
const codes = new Map(); // code -> {clientId, redirectUri, challenge, method, scope, used}
const refreshTokens = new Set();
const perRequest = new WeakMap(); // request object given to the package -> {override, entry, form, built}
const hanging = new Set();

function reset() {
  profile = { ...DEFAULT_PROFILE };
  failures = {};
  idTokenOverride = null;
  authorizeOverride = null;
  strict = true;
  recorded = [];
  for (const res of hanging) res.destroy();
  hanging.clear();
}

// ---- helpers ---------------------------------------------------------------------------------------------------

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function parseBody(headers, raw) {
  const type = headers["content-type"] ?? "";
  const text = raw.toString("utf8");
  if (type.includes("application/x-www-form-urlencoded")) return Object.fromEntries(new URLSearchParams(text));
  if (type.includes("application/json")) {
    try {
      return JSON.parse(text || "null");
    } catch {
      return text;
    }
  }
  return text === "" ? null : text;
}

function sendJson(res, status, body, headers = {}) {
  const content = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(content),
    "cache-control": "no-store",
    ...headers,
  });
  res.end(content);
}

function redirect(res, url) {
  res.writeHead(302, { location: url.href, "content-length": 0 });
  res.end();
}

function s256(verifier) {
  return createHash("sha256").update(verifier).digest("base64url");
}

function clientCredentials(req, form) {
  const auth = req.headers.authorization ?? "";
  if (auth.toLowerCase().startsWith("basic ")) {
    const decoded = Buffer.from(auth.slice(6), "base64").toString("utf8");
    const i = decoded.indexOf(":");
    return { clientId: decodeURIComponent(decoded.slice(0, i)), clientSecret: decodeURIComponent(decoded.slice(i + 1)) };
  }
  return { clientId: form.client_id, clientSecret: form.client_secret };
}

// The package reads the request body itself: hand it a readable copy of the body already consumed here.
function replayable(req, raw) {
  const copy = Readable.from(raw.length ? [raw] : []);
  copy.method = req.method;
  copy.url = req.url;
  copy.headers = req.headers;
  copy.socket = req.socket;
  copy.httpVersion = req.httpVersion;
  return copy;
}

function takeFailure(endpoint) {
  const failure = failures[endpoint];
  if (!failure || failure.times <= 0) return null;
  failure.times -= 1;
  if (failure.times <= 0) delete failures[endpoint];
  return failure;
}

function applyFailure(failure, endpoint, url, res) {
  const description = failure.error_description ?? `injected ${failure.mode} failure at ${endpoint}`;
  if (failure.mode === "hang") {
    hanging.add(res);
    res.on("close", () => hanging.delete(res));
    setTimeout(() => res.destroy(), HANG_MS).unref();
    return;
  }
  if (endpoint === "authorize" && (failure.mode === "deny" || failure.mode === "error_json")) {
    const redirectUri = url.searchParams.get("redirect_uri");
    if (redirectUri) {
      const target = new URL(redirectUri);
      target.searchParams.set("error", failure.mode === "deny" ? "access_denied" : (failure.error ?? "server_error"));
      target.searchParams.set("error_description", description);
      const state = url.searchParams.get("state");
      if (state) target.searchParams.set("state", state);
      target.searchParams.set("iss", issuer.url);
      redirect(res, target);
      return;
    }
  }
  if (failure.mode === "error_json") {
    sendJson(res, failure.status ?? 400, { error: failure.error ?? "invalid_grant", error_description: description });
    return;
  }
  // "status" (and "deny" anywhere but /authorize).
  sendJson(res, failure.status ?? 500, { error: "server_error", error_description: description });
}

function invalidGrant(res, description) {
  sendJson(res, 400, { error: "invalid_grant", error_description: description });
}

// The checks a real provider makes and the package does not (see the header). Returns true when it answered.
function strictToken(req, form, res, ctx) {
  const { clientId } = clientCredentials(req, form);
  if (form.grant_type === "authorization_code") {
    const entry = codes.get(form.code);
    if (entry === undefined) return invalidGrant(res, "unknown authorization code"), true;
    if (entry.used) return invalidGrant(res, "authorization code already used"), true;
    entry.used = true;
    if (entry.clientId !== undefined && entry.clientId !== clientId) {
      return invalidGrant(res, "client_id does not match the authorization request"), true;
    }
    if (entry.redirectUri !== undefined && entry.redirectUri !== form.redirect_uri) {
      return invalidGrant(res, "redirect_uri does not match the authorization request"), true;
    }
    if (entry.challenge !== undefined) {
      if (!form.code_verifier) return invalidGrant(res, "code_verifier required"), true;
      const expected = entry.method === "S256" ? s256(form.code_verifier) : form.code_verifier;
      if (expected !== entry.challenge) return invalidGrant(res, "code_verifier does not match code_challenge"), true;
    } else if (form.code_verifier) {
      return invalidGrant(res, "code_verifier sent but no code_challenge was"), true;
    }
    ctx.entry = entry;
  } else if (form.grant_type === "refresh_token") {
    if (!refreshTokens.has(form.refresh_token)) return invalidGrant(res, "unknown refresh token"), true;
  }
  return false;
}

async function strictUserinfo(req, res) {
  const auth = req.headers.authorization ?? "";
  const challenge = (error) => ({ "www-authenticate": `Bearer error="${error}"` });
  if (!auth.toLowerCase().startsWith("bearer ")) {
    sendJson(res, 401, { error: "invalid_request", error_description: "Bearer token required" }, challenge("invalid_request"));
    return true;
  }
  try {
    const jwks = jose.createLocalJWKSet({ keys: issuer.keys.toJSON() });
    await jose.jwtVerify(auth.slice(7).trim(), jwks, { issuer: issuer.url });
  } catch (err) {
    sendJson(res, 401, { error: "invalid_token", error_description: String(err.message ?? err) }, challenge("invalid_token"));
    return true;
  }
  return false;
}

// ---- package hooks ---------------------------------------------------------------------------------------------

service.on("beforeWellKnownOpenIdConfiguration", (response) => {
  Object.assign(response.body, {
    token_endpoint_auth_methods_supported: ["client_secret_post", "client_secret_basic", "none"],
    grant_types_supported: ["authorization_code", "refresh_token", "client_credentials"],
    scopes_supported: ["openid", "email", "profile", "offline_access"],
    claims_supported: ["sub", "iss", "aud", "exp", "iat", "nonce", "email", "email_verified", "name", "picture"],
    code_challenge_methods_supported: ["S256", "plain"],
    authorization_response_iss_parameter_supported: true,
  });
});

service.on("beforeAuthorizeRedirect", (authorizeRedirect, req) => {
  const url = authorizeRedirect.url;
  const query = req.query ?? {};
  const code = url.searchParams.get("code");
  if (code) {
    codes.set(code, {
      clientId: query.client_id,
      redirectUri: query.redirect_uri,
      challenge: query.code_challenge || undefined,
      method: query.code_challenge_method ?? "plain",
      scope: query.scope,
      used: false,
    });
  }
  const override = authorizeOverride;
  authorizeOverride = null;
  if (override && override.iss === null) {
    // leave iss out
  } else {
    url.searchParams.set("iss", override?.iss ?? issuer.url);
  }
  for (const [key, value] of Object.entries(override?.params ?? {})) {
    if (value === null) url.searchParams.delete(key);
    else url.searchParams.set(key, String(value));
  }
});

service.on("beforeTokenSigning", (token, req) => {
  const ctx = perRequest.get(req) ?? {};
  ctx.built = (ctx.built ?? 0) + 1;
  perRequest.set(req, ctx);
  const { payload } = token;
  if (ctx.built === 1) {
    // The access token.
    payload.sub = profile.sub;
    if (ctx.entry?.scope !== undefined) payload.scope = ctx.entry.scope;
    return;
  }
  // The id_token: the package set aud (client_id) and nonce already.
  const { nonce, aud } = payload;
  delete payload.nonce;
  Object.assign(payload, profile, { aud });
  if (nonce !== undefined) payload.nonce = nonce;
  const override = ctx.override;
  if (!override) return;
  const now = Math.floor(Date.now() / 1000);
  if ("iss" in override) payload.iss = override.iss;
  if ("aud" in override) payload.aud = override.aud;
  if ("iat_offset" in override) payload.iat = now + Number(override.iat_offset);
  if ("exp_offset" in override) payload.exp = now + Number(override.exp_offset);
  if ("nonce" in override) {
    if (override.nonce === null) delete payload.nonce;
    else payload.nonce = override.nonce;
  }
  Object.assign(payload, override.claims ?? {});
});

// Re-signing for the alg overrides has to happen after the package signed: beforeResponse is synchronous, so the
// response is patched in the wrapper below instead (see finishToken).
service.on("beforeResponse", (response, req) => {
  const ctx = perRequest.get(req);
  if (response.body.refresh_token) refreshTokens.add(response.body.refresh_token);
  if (ctx?.entry?.scope !== undefined) response.body.scope = ctx.entry.scope;
  if (ctx) ctx.response = response;
});

service.on("beforeUserinfo", (response) => {
  response.body = { ...profile };
});

async function resign(idToken, override, form) {
  const payload = jose.decodeJwt(idToken);
  if (override.alg === "none") return new jose.UnsecuredJWT(payload).encode();
  if (override.alg === "HS256") {
    const secret = new TextEncoder().encode(override.secret ?? form.client_secret ?? "mock-hs256-secret");
    return await new jose.SignJWT(payload).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(secret);
  }
  if (override.foreign_key) {
    const { privateKey } = await jose.generateKeyPair("RS256");
    return await new jose.SignJWT(payload)
      .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: signingKey.kid })
      .sign(privateKey);
  }
  return idToken;
}

// ---- the server ------------------------------------------------------------------------------------------------

async function control(req, res, path, body) {
  const name = path.slice("/__control/".length);
  if (req.method === "POST" && name === "profile") {
    profile = { ...(body ?? {}) };
    return sendJson(res, 200, { ok: true, profile });
  }
  if (req.method === "POST" && name === "fail") {
    const { endpoint, mode } = body ?? {};
    if (!Object.values(ENDPOINTS).includes(endpoint)) return sendJson(res, 400, { error: `unknown endpoint ${endpoint}` });
    if (!["deny", "status", "hang", "error_json"].includes(mode)) return sendJson(res, 400, { error: `unknown mode ${mode}` });
    if (mode === "deny" && endpoint !== "authorize") return sendJson(res, 400, { error: "deny is for authorize only" });
    failures[endpoint] = { ...body, times: body.times ?? 1 };
    return sendJson(res, 200, { ok: true, failures });
  }
  if (req.method === "POST" && name === "id_token") {
    idTokenOverride = { ...(body ?? {}) };
    return sendJson(res, 200, { ok: true });
  }
  if (req.method === "POST" && name === "authorize") {
    authorizeOverride = { ...(body ?? {}) };
    return sendJson(res, 200, { ok: true });
  }
  if (req.method === "POST" && name === "config") {
    if (typeof body?.strict === "boolean") strict = body.strict;
    return sendJson(res, 200, { ok: true, strict });
  }
  if (req.method === "POST" && name === "reset") {
    reset();
    return sendJson(res, 200, { ok: true });
  }
  if (name === "requests" && req.method === "GET") return sendJson(res, 200, recorded);
  if (name === "requests" && req.method === "DELETE") {
    recorded = [];
    return sendJson(res, 200, { ok: true });
  }
  return sendJson(res, 404, { error: `no control route ${req.method} ${path}` });
}

async function handle(req, res) {
  const url = new URL(req.url ?? "/", issuer.url);
  const raw = await readBody(req);
  if (url.pathname.startsWith("/__control/")) {
    return control(req, res, url.pathname, parseBody({ "content-type": "application/json" }, raw));
  }
  const endpoint = ENDPOINTS[`${req.method} ${url.pathname}`];
  const body = parseBody(req.headers, raw);
  if (endpoint === "token" || endpoint === "userinfo") {
    recorded.push({
      endpoint,
      method: req.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { ...req.headers },
      body,
    });
  }
  const failure = endpoint ? takeFailure(endpoint) : null;
  if (failure) return applyFailure(failure, endpoint, url, res);

  const forwarded = replayable(req, raw);
  const ctx = {};
  perRequest.set(forwarded, ctx);
  if (endpoint === "token") {
    const form = body && typeof body === "object" ? body : {};
    if (strict && strictToken(req, form, res, ctx)) return;
    if (form.grant_type === "authorization_code" || form.grant_type === "refresh_token") {
      ctx.override = idTokenOverride;
      idTokenOverride = null;
    }
    return finishToken(forwarded, res, ctx, form);
  }
  if (endpoint === "userinfo" && strict && (await strictUserinfo(req, res))) return;
  service.requestHandler(forwarded, res);
}

// Runs the package's token handler on a stand-in response, then re-signs the id_token when asked to.
async function finishToken(forwarded, res, ctx, form) {
  const override = ctx.override;
  if (!override || !(override.alg || override.foreign_key)) return service.requestHandler(forwarded, res);
  const originalEnd = res.end.bind(res);
  const originalSetHeader = res.setHeader.bind(res);
  const headers = {};
  res.setHeader = (k, v) => {
    headers[k.toLowerCase()] = v;
    return res;
  };
  res.end = (chunk) => {
    res.end = originalEnd;
    res.setHeader = originalSetHeader;
    (async () => {
      let text = chunk ? chunk.toString() : "";
      if (res.statusCode === 200) {
        const json = JSON.parse(text);
        if (json.id_token) json.id_token = await resign(json.id_token, override, form);
        text = JSON.stringify(json);
      }
      delete headers["content-length"];
      for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
      res.setHeader("content-length", Buffer.byteLength(text));
      res.end(text);
    })().catch((err) => {
      res.statusCode = 500;
      res.end(String(err));
    });
    return res;
  };
  service.requestHandler(forwarded, res);
}

const port = Number(process.argv[2] ?? 0);
const server = createServer((req, res) => {
  handle(req, res).catch((err) => {
    console.error(err);
    if (!res.headersSent) sendJson(res, 500, { error: "server_error", error_description: String(err) });
  });
});
server.listen(port, "127.0.0.1", () => {
  issuer.url = `http://127.0.0.1:${server.address().port}`;
  process.stdout.write(`${JSON.stringify({ url: issuer.url })}\n`);
});
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    for (const res of hanging) res.destroy();
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 500).unref();
  });
}
