// The official client with the bearer, jwt and admin plugins (server started with PLUGINS=bearer,jwt,admin).
//
//   ADMIN_EMAIL=... ADMIN_PASSWORD=... node plugin_flow.mjs http://127.0.0.1:8000
//
// The admin account must exist with role "admin" before the flow starts (the pytest side signs it up over HTTP
// and sets the role in the database: `role` is input:false, so no HTTP request can set it for oneself).
// Output format as client_flow.mjs (one JSON line per step, then {"step":"done"}).
import { adminClient, jwtClient } from "better-auth/client/plugins";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import {
  ADMIN_SESSION_COOKIE,
  ADMIN_SESSION_KEYS,
  ADMIN_USER_KEYS,
  DAY,
  DONT_REMEMBER_COOKIE,
  Device,
  ID32,
  SESSION_COOKIE,
  SIGNED_TOKEN,
  baseUrlFromArgs,
  cookieAttrs,
  createRunner,
  expectError,
  expectSession,
  parseSetCookie,
  summarize,
} from "./flow_lib.mjs";

const BASE_URL = baseUrlFromArgs();
const ADMIN_EMAIL = process.env.ADMIN_EMAIL;
const ADMIN_PASSWORD = process.env.ADMIN_PASSWORD;
if (!ADMIN_EMAIL || !ADMIN_PASSWORD) {
  console.error("plugin_flow.mjs: ADMIN_EMAIL and ADMIN_PASSWORD are required");
  process.exit(2);
}
const ISSUER = new URL(BASE_URL).origin;
const run = createRunner({ userKeys: ADMIN_USER_KEYS, sessionKeys: ADMIN_SESSION_KEYS });
const step = run.step;
const state = {};
const plugins = [adminClient(), jwtClient()];
const suffix = Math.random().toString(36).slice(2, 10);
const USER_EMAIL = `user.${suffix}@example.com`;
const PASSWORD = "correct horse battery staple";

// A browser with cookies (the admin) and bearer-only API clients (no cookies; Origin only where CSRF needs it).
const Admin = new Device("admin", BASE_URL, { plugins });
function bearerDevice(label) {
  const device = new Device(label, BASE_URL, {
    plugins,
    keepCookies: false,
    sendOrigin: (path) => path.endsWith("/sign-in/email") || path.endsWith("/sign-up/email"),
    fetchOptions: {
      onSuccess: (ctx) => {
        const token = ctx.response.headers.get("set-auth-token");
        if (token) device.token = token;
      },
      auth: { type: "Bearer", token: () => device.token },
    },
  });
  return device;
}
const U = bearerDevice("user-bearer");
const Anonymous = new Device("anonymous", BASE_URL, { plugins });

function exposeHeaders(ex) {
  return (ex.headers["access-control-expose-headers"] || "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .sort();
}

async function main() {
  let ok = await step("admin sign-in (bearer header, admin fields)", [Admin], async (expect) => {
    const res = await Admin.client.signIn.email({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    expect(res.error === null, `error ${JSON.stringify(res.error)}`);
    const user = res.data && res.data.user;
    expect(user && user.role === "admin", `role ${user && user.role}`);
    expect(user && user.banned === false && user.banReason === null && user.banExpires === null, `ban fields ${JSON.stringify(user)}`);
    const ex = Admin.last();
    const header = ex.headers["set-auth-token"];
    const cookie = cookieAttrs(ex, SESSION_COOKIE);
    expect(header && SIGNED_TOKEN.test(header), `set-auth-token ${header}`);
    expect(cookie && header === decodeURIComponent(cookie.value), "set-auth-token != decoded session cookie value");
    expect(JSON.stringify(exposeHeaders(ex)) === JSON.stringify(["set-auth-token"]), `expose headers ${JSON.stringify(exposeHeaders(ex))}`);
    state.admin = user;
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("get-session carries set-auth-jwt", [Admin], async (expect) => {
    const res = await Admin.client.getSession();
    expectSession(expect, res, { userId: state.admin.id, lifetimeMs: 7 * DAY });
    expect(res.data && res.data.session.impersonatedBy === null, `impersonatedBy ${res.data && res.data.session.impersonatedBy}`);
    const ex = Admin.last();
    state.headerJwt = ex.headers["set-auth-jwt"];
    expect(typeof state.headerJwt === "string" && state.headerJwt.split(".").length === 3, `set-auth-jwt ${state.headerJwt}`);
    expect(exposeHeaders(ex).includes("set-auth-jwt"), `expose headers ${JSON.stringify(exposeHeaders(ex))}`);
    expect(!("set-auth-token" in ex.headers), "plain get-session emitted set-auth-token");
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("jwks", [Anonymous], async (expect) => {
    const res = await Anonymous.client.jwks();
    expect(res.error === null, `error ${JSON.stringify(res.error)}`);
    const keys = (res.data && res.data.keys) || [];
    expect(keys.length === 1, `${keys.length} keys`);
    const key = keys[0] || {};
    expect(key.alg === "EdDSA" && key.crv === "Ed25519" && key.kty === "OKP", `key ${JSON.stringify(key)}`);
    expect(ID32.test(key.kid || ""), `kid ${key.kid}`);
    expect(typeof key.x === "string" && key.x.length === 43, `x ${key.x}`);
    expect(JSON.stringify(Object.keys(key).sort()) === JSON.stringify(["alg", "crv", "kid", "kty", "x"]), `key members ${Object.keys(key)}`);
    state.jwks = res.data;
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("token verifies against jwks", [Admin], async (expect) => {
    const res = await Admin.client.token();
    expect(res.error === null, `error ${JSON.stringify(res.error)}`);
    const token = res.data && res.data.token;
    const keySet = createLocalJWKSet(state.jwks);
    for (const [label, jwt] of [["/token", token], ["set-auth-jwt", state.headerJwt]]) {
      const header = decodeProtectedHeader(jwt);
      expect(JSON.stringify(header) === JSON.stringify({ alg: "EdDSA", kid: state.jwks.keys[0].kid }), `${label} header ${JSON.stringify(header)}`);
      const { payload } = await jwtVerify(jwt, keySet, { issuer: ISSUER, audience: ISSUER });
      expect(payload.sub === state.admin.id, `${label} sub ${payload.sub}`);
      expect(payload.exp - payload.iat === 900, `${label} exp - iat = ${payload.exp - payload.iat}`);
      expect(payload.email === ADMIN_EMAIL && payload.role === "admin", `${label} payload ${JSON.stringify(payload)}`);
      expect(payload.id === state.admin.id, `${label} payload.id ${payload.id}`);
      const keys = Object.keys(payload).sort();
      const want = [...ADMIN_USER_KEYS, "iat", "sub", "exp", "iss", "aud"].sort();
      expect(JSON.stringify(keys) === JSON.stringify(want), `${label} claims ${JSON.stringify(keys)} != ${JSON.stringify(want)}`);
    }
    return { token: token && token.split(".").length };
  });
  if (!ok) return;

  ok = await step("bearer sign-up", [U], async (expect) => {
    const res = await U.client.signUp.email({ email: USER_EMAIL, password: PASSWORD, name: "Bearer User" });
    expect(res.error === null, `error ${JSON.stringify(res.error)}`);
    const user = res.data && res.data.user;
    expect(user && user.role === "user" && user.banned === false, `user ${JSON.stringify(user)}`);
    expect(U.token && SIGNED_TOKEN.test(U.token) && U.token.startsWith(res.data.token + "."), `set-auth-token ${U.token}`);
    state.user = user;
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("bearer get-session (signed and raw token)", [U], async (expect) => {
    const res = await U.client.getSession();
    expectSession(expect, res, { userId: state.user.id });
    expect(U.last().requestHeaders.authorization === `Bearer ${U.token}`, "no bearer header sent");
    expect(!("cookie" in U.last().requestHeaders), "bearer client sent a cookie");
    const raw = U.token.split(".")[0];
    const viaRaw = await U.client.getSession({ fetchOptions: { auth: { type: "Bearer", token: raw } } });
    expectSession(expect, viaRaw, { token: raw, userId: state.user.id });
    const tampered = await U.client.getSession({ fetchOptions: { auth: { type: "Bearer", token: `${raw}.${"A".repeat(43)}=` } } });
    expect(tampered.data === null && tampered.error === null, `tampered bearer accepted: ${JSON.stringify(summarize(tampered))}`);
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("bearer update-user without Origin", [U], async (expect) => {
    const res = await U.client.updateUser({ name: "Bearer Renamed" });
    expect(res.error === null, `error ${JSON.stringify(res.error)}`);
    expect(!("origin" in U.last().requestHeaders), "origin was sent");
    const ex = U.last();
    expect(ex.headers["set-auth-token"] === U.token, `update-user set-auth-token ${ex.headers["set-auth-token"]}`);
    const again = await U.client.getSession();
    expect(again.data && again.data.user.name === "Bearer Renamed", "name not updated");
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("non-admin is refused", [U], async (expect) => {
    const res = await U.client.admin.listUsers({ query: {} });
    expectError(expect, res, 403, "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS", "You are not allowed to list users");
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("admin endpoints without a session", [Anonymous], async (expect) => {
    const res = await Anonymous.client.admin.listUsers({ query: {} });
    expectError(expect, res, 401);
    expect(Anonymous.last().body === "", `401 body ${JSON.stringify(Anonymous.last().body)} is not empty`);
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("admin list-users", [Admin], async (expect) => {
    const res = await Admin.client.admin.listUsers({ query: { limit: 10, sortBy: "createdAt", sortDirection: "desc" } });
    expect(res.error === null, `error ${JSON.stringify(res.error)}`);
    const data = res.data || {};
    expect(data.total === 2 && data.limit === 10 && !("offset" in data), `total/limit/offset ${JSON.stringify({ ...data, users: undefined })}`);
    const ids = (data.users || []).map((u) => u.id);
    expect(JSON.stringify(ids) === JSON.stringify([state.user.id, state.admin.id]), `users ${JSON.stringify(ids)} not newest first`);
    const filtered = await Admin.client.admin.listUsers({ query: { searchValue: "user.", searchField: "email", searchOperator: "starts_with" } });
    expect(filtered.data && filtered.data.total === 1 && filtered.data.users[0].id === state.user.id, `search ${JSON.stringify(summarize(filtered))}`);
    return { total: data.total, limit: data.limit, users: ids.length };
  });
  if (!ok) return;

  ok = await step("admin create-user, set-role, get-user, update-user", [Admin], async (expect) => {
    const created = await Admin.client.admin.createUser({ email: `Created.${suffix}@Example.com`, password: PASSWORD, name: "Created", role: "user" });
    expect(created.error === null, `create error ${JSON.stringify(created.error)}`);
    const user = created.data && created.data.user;
    expect(user && user.email === `created.${suffix}@example.com` && user.role === "user", `created ${JSON.stringify(user)}`);
    expect(!Admin.last().setCookies.length, "create-user set cookies");
    state.created = user;
    const role = await Admin.client.admin.setRole({ userId: user.id, role: ["user", "admin"] });
    expect(role.data && role.data.user && role.data.user.role === "user,admin", `set-role ${JSON.stringify(summarize(role))}`);
    const got = await Admin.client.admin.getUser({ query: { id: user.id } });
    expect(got.data && got.data.id === user.id && got.data.role === "user,admin", `get-user returns ${JSON.stringify(summarize(got))}`);
    const updated = await Admin.client.admin.updateUser({ userId: user.id, data: { name: "Created Renamed" } });
    expect(updated.data && updated.data.id === user.id && updated.data.name === "Created Renamed", `update-user ${JSON.stringify(summarize(updated))}`);
    const noData = await Admin.client.admin.updateUser({ userId: user.id, data: {} });
    expectError(expect, noData, 400, "NO_DATA_TO_UPDATE");
    const missing = await Admin.client.admin.getUser({ query: { id: "x".repeat(32) } });
    expectError(expect, missing, 404, "USER_NOT_FOUND");
    return summarize(updated);
  });
  if (!ok) return;

  ok = await step("admin ban-user ends sessions and blocks sign-in", [Admin, U], async (expect) => {
    const res = await Admin.client.admin.banUser({ userId: state.user.id, banReason: "spam" });
    expect(res.error === null, `error ${JSON.stringify(res.error)}`);
    const user = res.data && res.data.user;
    expect(user && user.banned === true && user.banReason === "spam" && user.banExpires === null, `banned ${JSON.stringify(user)}`);
    const session = await U.client.getSession();
    expect(session.data === null, `banned user's session still valid: ${JSON.stringify(summarize(session))}`);
    const signIn = await U.client.signIn.email({ email: USER_EMAIL, password: PASSWORD });
    expectError(expect, signIn, 403, "BANNED_USER");
    const self = await Admin.client.admin.banUser({ userId: state.admin.id });
    expectError(expect, self, 400, "YOU_CANNOT_BAN_YOURSELF");
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("admin unban-user", [Admin, U], async (expect) => {
    const res = await Admin.client.admin.unbanUser({ userId: state.user.id });
    const user = res.data && res.data.user;
    expect(user && user.banned === false && user.banReason === null && user.banExpires === null, `unbanned ${JSON.stringify(user)}`);
    const signIn = await U.client.signIn.email({ email: USER_EMAIL, password: PASSWORD });
    expect(signIn.error === null, `sign-in after unban: ${JSON.stringify(signIn.error)}`);
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("admin list-user-sessions", [Admin], async (expect) => {
    const res = await Admin.client.admin.listUserSessions({ userId: state.user.id });
    expect(res.error === null, `error ${JSON.stringify(res.error)}`);
    const sessions = (res.data && res.data.sessions) || [];
    expect(sessions.length === 1 && sessions[0].token === U.token.split(".")[0], `sessions ${JSON.stringify(sessions.map((s) => s.token))}`);
    return { sessions: sessions.length };
  });
  if (!ok) return;

  ok = await step("admin impersonate-user", [Admin], async (expect) => {
    const adminToken = decodeURIComponent(Admin.cookies.get(SESSION_COOKIE)).split(".")[0];
    const res = await Admin.client.admin.impersonateUser({ userId: state.user.id });
    expect(res.error === null, `error ${JSON.stringify(res.error)}`);
    const session = res.data && res.data.session;
    expect(session && session.impersonatedBy === state.admin.id && session.userId === state.user.id, `session ${JSON.stringify(session)}`);
    if (session) {
      const delta = session.expiresAt.getTime() - session.createdAt.getTime();
      expect(Math.abs(delta - 3600 * 1000) < 5000, `impersonation lasts ${delta} ms`);
    }
    const ex = Admin.last();
    const names = ex.setCookies.map((c) => {
      const p = parseSetCookie(c);
      return `${p.name}${p.attributes["max-age"] === "0" ? ":expired" : ""}`;
    });
    expect(
      JSON.stringify([...names].sort()) ===
        JSON.stringify([`${SESSION_COOKIE}:expired`, "better-auth.session_data:expired", `${DONT_REMEMBER_COOKIE}:expired`, ADMIN_SESSION_COOKIE, SESSION_COOKIE, DONT_REMEMBER_COOKIE].sort()),
      `impersonation cookies ${JSON.stringify(names)}`,
    );
    const adminCookie = cookieAttrs(ex, ADMIN_SESSION_COOKIE);
    expect(adminCookie && decodeURIComponent(adminCookie.value).startsWith(`${adminToken}:.`), `admin_session ${adminCookie && adminCookie.value}`);
    const live = ex.setCookies.map(parseSetCookie).filter((c) => c.name === SESSION_COOKIE && c.value);
    expect(live.length === 1 && !("max-age" in live[0].attributes), `impersonation session cookie ${JSON.stringify(live)}`);
    const who = await Admin.client.getSession();
    expect(who.data && who.data.user.id === state.user.id, `now signed in as ${who.data && who.data.user.id}`);
    const list = await Admin.client.listSessions();
    const tokens = (list.data || []).map((s) => s.token);
    expect(list.error === null && !tokens.includes(session && session.token), `list-sessions shows the impersonation session: ${JSON.stringify(summarize(list))}`);
    state.impersonationToken = session && session.token;
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("admin stop-impersonating", [Admin], async (expect) => {
    const res = await Admin.client.admin.stopImpersonating();
    expect(res.error === null, `error ${JSON.stringify(res.error)}`);
    expect(res.data && res.data.user && res.data.user.id === state.admin.id, `back to ${JSON.stringify(res.data && res.data.user)}`);
    expect(!Admin.cookies.has(ADMIN_SESSION_COOKIE), "admin_session cookie not expired");
    expect(!Admin.cookies.has(DONT_REMEMBER_COOKIE), "dont_remember cookie not expired");
    const who = await Admin.client.getSession();
    expect(who.data && who.data.user.id === state.admin.id, `signed in as ${who.data && who.data.user.id}`);
    const again = await Admin.client.admin.stopImpersonating();
    expectError(expect, again, 400, undefined, "You are not impersonating anyone");
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("admin revoke-user-sessions and set-user-password", [Admin, U], async (expect) => {
    const res = await Admin.client.admin.revokeUserSessions({ userId: state.user.id });
    expect(res.data && res.data.success === true, `revoke ${JSON.stringify(summarize(res))}`);
    const session = await U.client.getSession();
    expect(session.data === null, "user session survived revoke-user-sessions");
    const pw = await Admin.client.admin.setUserPassword({ userId: state.user.id, newPassword: "the new password 1" });
    expect(pw.data && pw.data.status === true, `set-user-password ${JSON.stringify(summarize(pw))}`);
    const oldPw = await U.client.signIn.email({ email: USER_EMAIL, password: PASSWORD });
    expectError(expect, oldPw, 401, "INVALID_EMAIL_OR_PASSWORD");
    const newPw = await U.client.signIn.email({ email: USER_EMAIL, password: "the new password 1" });
    expect(newPw.error === null, `sign-in with the new password: ${JSON.stringify(newPw.error)}`);
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("admin has-permission", [Admin], async (expect) => {
    const yes = await Admin.client.admin.hasPermission({ permissions: { user: ["list", "ban"], session: ["revoke"] } });
    expect(JSON.stringify(yes.data) === JSON.stringify({ error: null, success: true }), `allowed ${JSON.stringify(summarize(yes))}`);
    const no = await Admin.client.admin.hasPermission({ permissions: { user: ["impersonate-admins"] } });
    expect(JSON.stringify(no.data) === JSON.stringify({ error: null, success: false }), `denied ${JSON.stringify(summarize(no))}`);
    return summarize(yes);
  });
  if (!ok) return;

  ok = await step("admin remove-user", [Admin], async (expect) => {
    const res = await Admin.client.admin.removeUser({ userId: state.created.id });
    expect(res.data && res.data.success === true, `remove ${JSON.stringify(summarize(res))}`);
    const got = await Admin.client.admin.getUser({ query: { id: state.created.id } });
    expectError(expect, got, 404, "USER_NOT_FOUND");
    const self = await Admin.client.admin.removeUser({ userId: state.admin.id });
    expectError(expect, self, 400, "YOU_CANNOT_REMOVE_YOURSELF");
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("admin sign-out", [Admin], async (expect) => {
    const res = await Admin.client.signOut();
    expect(res.data && res.data.success === true, `sign-out ${JSON.stringify(summarize(res))}`);
    const who = await Admin.client.getSession();
    expect(who.data === null, "still signed in");
    expect(!("set-auth-jwt" in Admin.last().headers), "set-auth-jwt on a null session");
    return summarize(res);
  });
  if (!ok) return;
}

await main();
run.done();
