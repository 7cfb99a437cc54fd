// Drives the OFFICIAL Better Auth client with jwtClient() as a cookie-less API client: the session token travels
// only in `Authorization: Bearer` (fetchOptions.auth, the bearer plugin's documented setup), the JWT comes from
// GET /token and the set-auth-jwt header, and it verifies with jose against the server's /jwks.
//
//   node token_flow.mjs http://127.0.0.1:8000
import { jwtClient } from "better-auth/client/plugins";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";

import { Device, ID32, baseUrlFromArgs, createRunner, expectError, summarize } from "./flow_lib.mjs";

const BASE_URL = baseUrlFromArgs();
const run = createRunner();
const step = run.step;
const state = { bearer: null };
const suffix = Math.random().toString(36).slice(2, 10);
const email = `dave.${suffix}@example.com`;
const PASSWORD = "correct horse battery staple";

// No cookie jar at all; Origin only where the sign-in/up CSRF check asks for it (a server-side client has none).
const Api = new Device("Api", BASE_URL, {
  plugins: [jwtClient()],
  keepCookies: false,
  sendOrigin: (path) => path.endsWith("/sign-up/email") || path.endsWith("/sign-in/email"),
  fetchOptions: { auth: { type: "Bearer", token: () => state.bearer ?? undefined } },
});

async function main() {
  let ok = await step("sign-up returns set-auth-token", [Api], async (expect) => {
    const res = await Api.client.signUp.email({ email, password: PASSWORD, name: "Dave" });
    expect(res.error === null, `error ${JSON.stringify(res.error)}`);
    const ex = Api.last();
    state.bearer = ex.headers["set-auth-token"];
    expect(typeof state.bearer === "string" && state.bearer.split(".")[0] === res.data.token, `set-auth-token ${state.bearer}`);
    expect((ex.headers["access-control-expose-headers"] || "").includes("set-auth-token"), "set-auth-token not exposed");
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("get-session with only the bearer token", [Api], async (expect) => {
    const res = await Api.client.getSession();
    expect(res.data && res.data.user && res.data.user.email === email, `session ${JSON.stringify(summarize(res))}`);
    const ex = Api.last();
    expect(!ex.requestHeaders.cookie, "a cookie was sent");
    expect(/^eyJ/.test(ex.headers["set-auth-jwt"] || ""), "no set-auth-jwt header");
    expect((ex.headers["access-control-expose-headers"] || "").includes("set-auth-jwt"), "set-auth-jwt not exposed");
    state.headerJwt = ex.headers["set-auth-jwt"];
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("token and jwks verify with jose", [Api], async (expect) => {
    const res = await Api.client.token();
    expect(res.error === null && typeof res.data.token === "string", `token ${JSON.stringify(summarize(res))}`);
    const jwks = await Api.client.jwks();
    expect(jwks.error === null && Array.isArray(jwks.data.keys) && jwks.data.keys.length >= 1, "jwks");
    const header = decodeProtectedHeader(res.data.token);
    expect(header.alg === "EdDSA" && ID32.test(header.kid) && Object.keys(header).length === 2, `header ${JSON.stringify(header)}`);
    const keySet = createLocalJWKSet(jwks.data);
    for (const token of [res.data.token, state.headerJwt]) {
      const { payload } = await jwtVerify(token, keySet, { issuer: BASE_URL, audience: BASE_URL });
      expect(payload.email === email && ID32.test(payload.sub) && payload.exp - payload.iat === 900, `payload ${JSON.stringify(payload)}`);
    }
    return { kid: header.kid };
  });
  if (!ok) return;

  ok = await step("update-user by bearer without Origin", [Api], async (expect) => {
    const res = await Api.client.updateUser({ name: "Dave B" });
    expect(res.error === null && res.data && res.data.status === true, `answer ${JSON.stringify(summarize(res))}`);
    expect(!Api.last().requestHeaders.origin, "an Origin header was sent");
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("wrong bearer token is anonymous", [Api], async (expect) => {
    const saved = state.bearer;
    state.bearer = `${saved.split(".")[0]}.${"A".repeat(43)}=`;
    const res = await Api.client.getSession();
    expect(res.data === null && res.error === null, `answer ${JSON.stringify(summarize(res))}`);
    const token = await Api.client.token();
    expectError(expect, token, 401, "UNAUTHORIZED");
    state.bearer = saved;
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("sign-out by bearer", [Api], async (expect) => {
    const res = await Api.client.signOut();
    expect(res.error === null && res.data && res.data.success === true, `answer ${JSON.stringify(summarize(res))}`);
    const after = await Api.client.getSession();
    expect(after.data === null, "the session survived sign-out");
    return summarize(res);
  });
  if (!ok) return;
  run.done();
}

main().catch((err) => {
  console.log(JSON.stringify({ step: "crashed", ok: false, problems: [String(err && err.stack ? err.stack : err)] }));
  process.exitCode = 1;
});
