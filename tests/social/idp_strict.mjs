// A strict, OpenID-Certified provider for the social sign-in tests' negative cases: panva's oidc-provider 9.13.3,
// pinned in tests/interop/package.json. Unlike oauth2-mock-server it refuses a missing code_verifier as well as a
// wrong one (400 invalid_grant), refuses a replayed code (400 invalid_grant), checks redirect_uri and the client
// secret, and only accepts refresh tokens it issued.
//
//   REDIRECT_URIS=http://localhost:8000/api/auth/callback/strict,... node tests/social/idp_strict.mjs [port]
//
// Binds 127.0.0.1 (port 0 or absent: a free one); issuer exactly http://127.0.0.1:<port>. Prints ONE line of JSON
// on stdout once it listens: {"url":"http://127.0.0.1:<port>"}. Routes are oidc-provider's: discovery
// /.well-known/openid-configuration, /auth, /token, /me (userinfo), /jwks, /session/end; login and consent through
// devInteractions at /interaction/<uid> (two HTML forms: any login name and password, then "continue";
// tests/social/conftest.py drive_strict_login does it with httpx).
//
// One static client: client_id "strict-client", client_secret "strict-secret", client_secret_post, grant types
// authorization_code + refresh_token, PKCE S256 required, a refresh token with every code (issueRefreshToken).
// Accounts: any login name is an account id; claims sub=<id>, email=<id>@example.com, email_verified=true,
// name="Strict <id>" (scopes openid / email / profile). Env CONFORM_ID_TOKEN_CLAIMS=0 puts the scope claims in the
// id_token too; by default (oidc-provider's conform mode) the id_token has sub only and the rest is at /me.
//
// Control API (JSON): POST /__control/redirect_uris {"redirect_uris": [...]} replaces the client's allowed redirect
// URIs; POST /__control/account {"id": "...", "claims": {...}} overrides claims of one account (null drops one);
// POST /__control/reset restores REDIRECT_URIS and the default claims.
//
// oidc-provider prints "Unsupported runtime. Use Node.js v22.x" on Node 20 and development-only warnings on
// stderr: both harmless here.

import { createServer } from "node:http";

const { load } = await import(new URL("../interop/resolve.mjs", import.meta.url));
const { default: Provider } = await load("oidc-provider");
const jose = await load("jose");

const CLIENT_ID = "strict-client";
const CLIENT_SECRET = "strict-secret";
const PLACEHOLDER_REDIRECT = "http://127.0.0.1/unused-redirect";
const envRedirects = (process.env.REDIRECT_URIS ?? "")
  .split(",")
  .map((s) => s.trim())
  .filter(Boolean);

let allowedRedirects = new Set(envRedirects);
let accountOverrides = {};

function claimsFor(id) {
  const claims = { sub: id, email: `${id}@example.com`, email_verified: true, name: `Strict ${id}` };
  for (const [key, value] of Object.entries(accountOverrides[id] ?? {})) {
    if (value === null) delete claims[key];
    else claims[key] = value;
  }
  claims.sub = id;
  return claims;
}

const { privateKey } = await jose.generateKeyPair("RS256", { extractable: true });
const signingJwk = { ...(await jose.exportJWK(privateKey)), kid: "strict-rs256", alg: "RS256", use: "sig" };

const server = createServer();
await new Promise((resolve) => server.listen(Number(process.argv[2] ?? 0), "127.0.0.1", resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uris: envRedirects.length ? envRedirects : [PLACEHOLDER_REDIRECT],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post",
    },
  ],
  pkce: { required: () => true },
  async findAccount(_ctx, id) {
    return {
      accountId: id,
      async claims() {
        return claimsFor(id);
      },
    };
  },
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  conformIdTokenClaims: process.env.CONFORM_ID_TOKEN_CLAIMS !== "0",
  async issueRefreshToken(_ctx, client) {
    return client.grantTypeAllowed("refresh_token");
  },
  features: { devInteractions: { enabled: true } },
  jwks: { keys: [signingJwk] },
  cookies: { keys: ["strict-idp-cookie-key-0123456789abcdef"] },
});

// Redirect URIs can change at run time (each test server has its own port): the static client's list is only the
// start-up value. Exact string match, as oidc-provider does for web clients.
const originalRedirectUriAllowed = provider.Client.prototype.redirectUriAllowed;
provider.Client.prototype.redirectUriAllowed = function redirectUriAllowed(value) {
  if (this.clientId !== CLIENT_ID) return originalRedirectUriAllowed.call(this, value);
  return allowedRedirects.has(value);
};

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? JSON.parse(text) : {};
}

provider.use(async (ctx, next) => {
  if (!ctx.path.startsWith("/__control/")) return next();
  const name = ctx.path.slice("/__control/".length);
  const body = ctx.method === "POST" ? await readJson(ctx.req) : {};
  ctx.type = "json";
  if (ctx.method === "POST" && name === "redirect_uris") {
    allowedRedirects = new Set(body.redirect_uris ?? []);
    ctx.body = { ok: true, redirect_uris: [...allowedRedirects] };
  } else if (ctx.method === "POST" && name === "account") {
    accountOverrides[body.id] = { ...(accountOverrides[body.id] ?? {}), ...(body.claims ?? {}) };
    ctx.body = { ok: true, claims: claimsFor(body.id) };
  } else if (ctx.method === "POST" && name === "reset") {
    allowedRedirects = new Set(envRedirects);
    accountOverrides = {};
    ctx.body = { ok: true };
  } else {
    ctx.status = 404;
    ctx.body = { error: `no control route ${ctx.method} ${ctx.path}` };
  }
});

server.on("request", provider.callback());
process.stdout.write(`${JSON.stringify({ url: issuer })}\n`);

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 500).unref();
  });
}
