// Drives the OFFICIAL Better Auth client (`createAuthClient` from better-auth/client) through the core
// e-mail/password and session flows against a server (the real TS server or the Python one).
//
//   node client_flow.mjs http://127.0.0.1:8000        (or BASE_URL=... node client_flow.mjs)
//
// Output: one JSON object per line:
//   {"step": "<name>", "ok": true|false, "problems": [...], "data": {...summary...}, "wire": [...]}
// `problems` are client-visible deviations (the step fails and the script exits 1 right after printing it).
// `wire` lists wire-level deviations from Better Auth 1.7.24 that the client tolerates (date formats, extra
// JSON keys, cookie attributes, headers); they do not stop the flow, the pytest side reports them.
// The last line is {"step":"done","ok":true} when every step passed.
//
// Node has no cookie jar, so each simulated browser ("device") gets one through fetchOptions.customFetchImpl
// (flow_lib.mjs);
// every request carries `Origin: http://localhost:3000` (Node's fetch sends Sec-Fetch-Mode: cors, so the
// server's CSRF check needs a trusted Origin, exactly as a browser on that origin would send).
import {
  DAY,
  DONT_REMEMBER_COOKIE,
  Device,
  ID32,
  SESSION_COOKIE,
  SESSION_DATA_COOKIE,
  baseUrlFromArgs,
  cookieAttrs,
  createRunner,
  expectError,
  expectSession,
  expectUser,
  parseSetCookie,
  summarize,
} from "./flow_lib.mjs";

const BASE_URL = baseUrlFromArgs();
const run = createRunner();
const step = run.step;
const state = {};

// ------------------------------------------------------------------------------------------- the flow
const suffix = Math.random().toString(36).slice(2, 10);
const EMAIL = `Alice.${suffix}@Example.com`;
const email = EMAIL.toLowerCase();
const PASSWORD = "correct horse battery staple";
const A = new Device("A", BASE_URL);
const B = new Device("B", BASE_URL);
const C = new Device("C", BASE_URL);
const D = new Device("D", BASE_URL);

async function main() {
  let ok = await step("sign-up", [A], async (expect) => {
    const res = await A.client.signUp.email({ email: EMAIL, password: PASSWORD, name: "Alice" });
    expect(res.error === null, `error ${JSON.stringify(res.error)}`);
    const data = res.data || {};
    expect(typeof data.token === "string" && ID32.test(data.token), `token ${data.token} is not 32 [A-Za-z0-9]`);
    expectUser(expect, data.user, { email, name: "Alice" });
    const ex = A.last();
    expect(ex.method === "POST" && ex.path === "/api/auth/sign-up/email", `request was ${ex.method} ${ex.path}`);
    const cookie = cookieAttrs(ex, SESSION_COOKIE);
    expect(cookie !== null, "no session cookie set");
    expect(cookie && decodeURIComponent(cookie.value).split(".")[0] === data.token, "session cookie does not carry the token");
    expect(cookie && cookie.attributes["max-age"] === "604800", `session cookie Max-Age ${cookie && cookie.attributes["max-age"]}`);
    state.userId = data.user && data.user.id;
    state.signUpToken = data.token;
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("get-session after sign-up", [A], async (expect) => {
    const res = await A.client.getSession();
    expectSession(expect, res, { token: state.signUpToken, userId: state.userId, lifetimeMs: 7 * DAY });
    expectUser(expect, res.data && res.data.user, { email, name: "Alice" });
    const ex = A.last();
    expect(ex.method === "GET" && ex.path === "/api/auth/get-session", `request was ${ex.method} ${ex.path}`);
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("sign-out", [A], async (expect) => {
    const res = await A.client.signOut();
    expect(res.error === null, `error ${JSON.stringify(res.error)}`);
    expect(res.data && res.data.success === true, `data ${JSON.stringify(res.data)} != {success:true}`);
    expect(!A.cookies.has(SESSION_COOKIE), "session cookie not cleared");
    const cleared = A.last().setCookies.map(parseSetCookie).filter((c) => c.attributes["max-age"] === "0").map((c) => c.name).sort();
    expect(
      JSON.stringify(cleared) === JSON.stringify([DONT_REMEMBER_COOKIE, SESSION_DATA_COOKIE, SESSION_COOKIE].sort()),
      `sign-out expired ${JSON.stringify(cleared)}, expected session_token, session_data, dont_remember`,
    );
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("get-session after sign-out", [A], async (expect) => {
    const res = await A.client.getSession();
    expect(res.data === null && res.error === null, `expected {data:null,error:null}, got ${JSON.stringify(summarize(res))}`);
    expect(A.last().body === "null", `raw body ${JSON.stringify(A.last().body)} != "null"`);
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("sign-in", [A], async (expect) => {
    const res = await A.client.signIn.email({ email: EMAIL, password: PASSWORD });
    expect(res.error === null, `error ${JSON.stringify(res.error)}`);
    const data = res.data || {};
    expect(data.redirect === false, `redirect ${data.redirect} != false`);
    expect(!("url" in data), `url present: ${data.url}`);
    expect(ID32.test(data.token || ""), `token ${data.token}`);
    expect(data.token !== state.signUpToken, "sign-in reused the signed-out token");
    expectUser(expect, data.user, { email, name: "Alice" });
    expect(data.user && data.user.id === state.userId, "sign-in returned another user");
    state.tokenA = data.token;
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("get-session after sign-in", [A], async (expect) => {
    const res = await A.client.getSession();
    expectSession(expect, res, { token: state.tokenA, userId: state.userId, lifetimeMs: 7 * DAY });
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("sign-in rememberMe:false (second session)", [B], async (expect) => {
    const res = await B.client.signIn.email({ email, password: PASSWORD, rememberMe: false });
    expect(res.error === null, `error ${JSON.stringify(res.error)}`);
    const data = res.data || {};
    expect(ID32.test(data.token || ""), `token ${data.token}`);
    expect(data.token !== state.tokenA, "second sign-in reused the first session token");
    const ex = B.last();
    const session = cookieAttrs(ex, SESSION_COOKIE);
    expect(session && !("max-age" in session.attributes), `rememberMe:false session cookie has Max-Age: ${session && session.attrs}`);
    const dontRemember = cookieAttrs(ex, DONT_REMEMBER_COOKIE);
    expect(dontRemember !== null, "no dont_remember cookie");
    expect(dontRemember && decodeURIComponent(dontRemember.value).startsWith("true."), `dont_remember value ${dontRemember && dontRemember.value}`);
    state.tokenB = data.token;
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("get-session rememberMe:false", [B], async (expect) => {
    const res = await B.client.getSession();
    expectSession(expect, res, { token: state.tokenB, userId: state.userId, lifetimeMs: 1 * DAY });
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("sign-in third session", [C], async (expect) => {
    const res = await C.client.signIn.email({ email, password: PASSWORD });
    expect(res.error === null, `error ${JSON.stringify(res.error)}`);
    state.tokenC = res.data && res.data.token;
    expect(ID32.test(state.tokenC || ""), `token ${state.tokenC}`);
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("list-sessions", [A], async (expect) => {
    const res = await A.client.listSessions();
    expect(res.error === null, `error ${JSON.stringify(res.error)}`);
    expect(Array.isArray(res.data), `data is not an array: ${JSON.stringify(res.data)}`);
    const tokens = (res.data || []).map((s) => s.token).sort();
    const want = [state.tokenA, state.tokenB, state.tokenC].sort();
    expect(JSON.stringify(tokens) === JSON.stringify(want), `tokens ${JSON.stringify(tokens)} != ${JSON.stringify(want)}`);
    for (const s of res.data || []) {
      expect(s.userId === state.userId, `session ${s.id} belongs to ${s.userId}`);
      expect(s.expiresAt instanceof Date, "expiresAt not parsed to Date");
    }
    const ex = A.last();
    expect(ex.method === "GET" && ex.path === "/api/auth/list-sessions", `request was ${ex.method} ${ex.path}`);
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("revoke-session (other device)", [A, B], async (expect) => {
    const res = await A.client.revokeSession({ token: state.tokenB });
    expect(res.error === null, `error ${JSON.stringify(res.error)}`);
    expect(res.data && res.data.status === true, `data ${JSON.stringify(res.data)} != {status:true}`);
    expect(A.cookies.has(SESSION_COOKIE), "revoking another session cleared the caller's cookie");
    const b = await B.client.getSession();
    expect(b.data === null && b.error === null, `revoked session still valid: ${JSON.stringify(summarize(b))}`);
    const a = await A.client.getSession();
    expectSession(expect, a, { token: state.tokenA, userId: state.userId });
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("revoke-session unknown token", [A], async (expect) => {
    const res = await A.client.revokeSession({ token: "x".repeat(32) });
    expect(res.error === null, `error ${JSON.stringify(res.error)}`);
    expect(res.data && res.data.status === true, `data ${JSON.stringify(res.data)} != {status:true}`);
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("list-sessions after revoke", [A], async (expect) => {
    const res = await A.client.listSessions();
    const tokens = (res.data || []).map((s) => s.token).sort();
    const want = [state.tokenA, state.tokenC].sort();
    expect(JSON.stringify(tokens) === JSON.stringify(want), `tokens ${JSON.stringify(tokens)} != ${JSON.stringify(want)}`);
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("revoke-other-sessions", [A, C], async (expect) => {
    const res = await A.client.revokeOtherSessions();
    expect(res.error === null, `error ${JSON.stringify(res.error)}`);
    expect(res.data && res.data.status === true, `data ${JSON.stringify(res.data)} != {status:true}`);
    const ex = A.last();
    expect(ex.method === "POST" && ex.path === "/api/auth/revoke-other-sessions", `request was ${ex.method} ${ex.path}`);
    expect(ex.setCookies.length === 0, `revoke-other-sessions set cookies: ${JSON.stringify(ex.setCookies)}`);
    const c = await C.client.getSession();
    expect(c.data === null && c.error === null, `other session still valid: ${JSON.stringify(summarize(c))}`);
    const a = await A.client.getSession();
    expectSession(expect, a, { token: state.tokenA, userId: state.userId });
    const list = await A.client.listSessions();
    const tokens = (list.data || []).map((s) => s.token);
    expect(JSON.stringify(tokens) === JSON.stringify([state.tokenA]), `remaining sessions ${JSON.stringify(tokens)}`);
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("sign-in with upper-case e-mail (fourth device)", [D], async (expect) => {
    const res = await D.client.signIn.email({ email: email.toUpperCase(), password: PASSWORD });
    expect(res.error === null, `error ${JSON.stringify(res.error)}`);
    expect(res.data && res.data.user && res.data.user.id === state.userId, "signed in as another user");
    state.tokenD = res.data && res.data.token;
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("revoke-sessions", [A, D], async (expect) => {
    const res = await A.client.revokeSessions();
    expect(res.error === null, `error ${JSON.stringify(res.error)}`);
    expect(res.data && res.data.status === true, `data ${JSON.stringify(res.data)} != {status:true}`);
    const ex = A.last();
    expect(ex.method === "POST" && ex.path === "/api/auth/revoke-sessions", `request was ${ex.method} ${ex.path}`);
    expect(!A.cookies.has(SESSION_COOKIE), "revoke-sessions did not expire the caller's session cookie");
    const a = await A.client.getSession();
    expect(a.data === null && a.error === null, `own session still valid: ${JSON.stringify(summarize(a))}`);
    const d = await D.client.getSession();
    expect(d.data === null && d.error === null, `other session still valid: ${JSON.stringify(summarize(d))}`);
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("sign-in again", [A], async (expect) => {
    const res = await A.client.signIn.email({ email, password: PASSWORD });
    expect(res.error === null, `error ${JSON.stringify(res.error)}`);
    state.tokenA2 = res.data && res.data.token;
    state.createdAt = res.data && res.data.user && res.data.user.createdAt;
    state.updatedAt = res.data && res.data.user && res.data.user.updatedAt;
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("update-user", [A], async (expect) => {
    await new Promise((r) => setTimeout(r, 20));
    const res = await A.client.updateUser({ name: "Alice Updated", image: "https://example.com/alice.png" });
    expect(res.error === null, `error ${JSON.stringify(res.error)}`);
    expect(JSON.stringify(res.data) === JSON.stringify({ status: true }), `data ${JSON.stringify(res.data)} != {"status":true}`);
    const ex = A.last();
    expect(ex.method === "POST" && ex.path === "/api/auth/update-user", `request was ${ex.method} ${ex.path}`);
    const cookie = cookieAttrs(ex, SESSION_COOKIE);
    expect(cookie !== null, "update-user did not re-issue the session cookie");
    expect(cookie && decodeURIComponent(cookie.value).split(".")[0] === state.tokenA2, "re-issued cookie carries another token");
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("get-session shows updated user", [A], async (expect) => {
    const res = await A.client.getSession();
    expectSession(expect, res, { token: state.tokenA2, userId: state.userId });
    const user = res.data && res.data.user;
    expectUser(expect, user, { email, name: "Alice Updated", image: "https://example.com/alice.png" });
    expect(user && state.updatedAt && user.updatedAt > state.updatedAt, "updatedAt was not bumped");
    expect(user && state.createdAt && user.createdAt.getTime() === state.createdAt.getTime(), "createdAt changed");
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("update-user with email is rejected", [A], async (expect) => {
    const res = await A.client.updateUser({ email: "other@example.com" });
    expectError(expect, res, 400, "EMAIL_CAN_NOT_BE_UPDATED", "Email can not be updated");
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("sign-in wrong password", [D], async (expect) => {
    const res = await D.client.signIn.email({ email, password: "wrong password!" });
    expectError(expect, res, 401, "INVALID_EMAIL_OR_PASSWORD", "Invalid email or password");
    expect(res.error && res.error.statusText === "Unauthorized", `statusText ${res.error && res.error.statusText}`);
    expect(D.last().setCookies.length === 0, `failed sign-in set cookies ${JSON.stringify(D.last().setCookies)}`);
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("sign-in unknown e-mail", [D], async (expect) => {
    const res = await D.client.signIn.email({ email: `nobody.${suffix}@example.com`, password: PASSWORD });
    expectError(expect, res, 401, "INVALID_EMAIL_OR_PASSWORD", "Invalid email or password");
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("duplicate sign-up", [D], async (expect) => {
    const res = await D.client.signUp.email({ email: email.toUpperCase(), password: PASSWORD, name: "Mallory" });
    expectError(expect, res, 422, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL", "User already exists. Use another email.");
    expect(res.error && res.error.statusText === "Unprocessable Entity", `statusText ${res.error && res.error.statusText}`);
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("sign-up password too short", [D], async (expect) => {
    const res = await D.client.signUp.email({ email: `short.${suffix}@example.com`, password: "short", name: "S" });
    expectError(expect, res, 400, "PASSWORD_TOO_SHORT", "Password too short");
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("sign-out at the end", [A], async (expect) => {
    const res = await A.client.signOut();
    expect(res.data && res.data.success === true, `data ${JSON.stringify(res.data)}`);
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("get-session null at the end", [A], async (expect) => {
    const res = await A.client.getSession();
    expect(res.data === null && res.error === null, `expected {data:null,error:null}, got ${JSON.stringify(summarize(res))}`);
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("list-sessions without a session", [A], async (expect) => {
    const res = await A.client.listSessions();
    expectError(expect, res, 401, "UNAUTHORIZED", "Unauthorized");
    return summarize(res);
  });
  if (!ok) return;
}

await main();
run.done();
