// The official client against the app built from docs/getting-started.md (tests/interop/test_getting_started_app.py).
//
//   node new_app_flow.mjs http://127.0.0.1:8000 signup|admin <email>
//
// "signup": a newcomer's frontend: anonymous and bad requests fail in {message, code}, sign-up, notes with the
// session cookie, CORS for the frontend's origin only, the bearer token readable cross-origin, no admin page.
// "admin" (after `fastapi-betterauth create-admin`): the same user signs in and the admin route and the
// admin plugin's endpoints answer.
import { adminClient, jwtClient } from "better-auth/client/plugins";

import { ADMIN_SESSION_KEYS, ADMIN_USER_KEYS, Device, ORIGIN, baseUrlFromArgs, createRunner } from "./flow_lib.mjs";

const BASE_URL = baseUrlFromArgs();
const PHASE = process.argv[3];
const EMAIL = process.argv[4];
const PASSWORD = "correct horse battery staple";
const run = createRunner({ userKeys: ADMIN_USER_KEYS, sessionKeys: ADMIN_SESSION_KEYS });
const Browser = new Device("Browser", BASE_URL, { plugins: [jwtClient(), adminClient()] });

/** fetch(url, {credentials: "include"}) from the frontend's origin: the device's cookies and an Origin header. */
async function api(method, path, { body, origin = ORIGIN, headers = {} } = {}) {
  const sent = { origin, ...headers };
  if (Browser.cookies.size) sent.cookie = [...Browser.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  if (body !== undefined) sent["content-type"] = "application/json";
  const res = await fetch(`${BASE_URL}${path}`, { method, headers: sent, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null };
}

async function signupPhase() {
  await run.step("anonymous calls get Better Auth's 401", [Browser], async (expect) => {
    const r = await api("GET", "/api/notes");
    expect(r.status === 401 && r.json.code === "UNAUTHORIZED" && r.json.message === "Unauthorized", JSON.stringify(r.json));
  });
  const ok = await run.step("sign-up with the official client", [Browser], async (expect) => {
    const res = await Browser.client.signUp.email({ email: EMAIL, password: PASSWORD, name: "Newcomer" });
    expect(res.error === null, `sign-up ${JSON.stringify(res.error)}`);
    expect(res.data && res.data.user.role === "user", `role ${res.data && res.data.user.role}`);
    const exposed = (Browser.last().headers["access-control-expose-headers"] || "").toLowerCase();
    expect(Browser.last().headers["access-control-allow-origin"] === ORIGIN, "sign-up answer has no CORS origin");
    expect(exposed.includes("set-auth-token") && exposed.includes("set-auth-jwt"), `exposed: ${exposed}`);
    const session = await Browser.client.getSession();
    expect(session.data && session.data.user.email === EMAIL, `get-session ${JSON.stringify(session.error)}`);
    return { user: res.data && res.data.user.id };
  });
  if (!ok) return;
  await run.step("notes with the session cookie; a bad body is a 422 in the same shape", [Browser], async (expect) => {
    const made = await api("POST", "/api/notes", { body: { text: "first note" } });
    expect(made.status === 201 && JSON.stringify(made.json) === '["first note"]', `POST ${made.status} ${JSON.stringify(made.json)}`);
    expect(made.headers.get("access-control-allow-origin") === ORIGIN, "app route answer has no CORS origin");
    const listed = await api("GET", "/api/notes");
    expect(listed.status === 200 && listed.json.length === 1, `GET ${listed.status} ${JSON.stringify(listed.json)}`);
    const bad = await api("POST", "/api/notes", { body: { text: "" } });
    expect(bad.status === 422 && bad.json.code === "VALIDATION_ERROR", `bad ${bad.status} ${JSON.stringify(bad.json)}`);
    expect(typeof bad.json.message === "string" && bad.json.message.startsWith("[body.text]"), `message ${bad.json.message}`);
  });
  await run.step("CORS preflights: the trusted origin only", [Browser], async (expect) => {
    const preflight = (origin) =>
      fetch(`${BASE_URL}/api/notes`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
      });
    const good = await preflight(ORIGIN);
    expect(good.status === 200 && good.headers.get("access-control-allow-origin") === ORIGIN, `trusted ${good.status}`);
    expect(good.headers.get("access-control-allow-credentials") === "true", "no credentials");
    const evil = await preflight("https://evil.example");
    expect(evil.headers.get("access-control-allow-origin") === null, "an untrusted origin got CORS headers");
  });
  await run.step("no admin page for a plain user", [Browser], async (expect) => {
    const r = await api("GET", "/api/admin/stats");
    expect(r.status === 403 && typeof r.json.code === "string" && typeof r.json.message === "string", `${r.status} ${JSON.stringify(r.json)}`);
  });
}

async function adminPhase() {
  const ok = await run.step("sign-in after create-admin", [Browser], async (expect) => {
    const res = await Browser.client.signIn.email({ email: EMAIL, password: PASSWORD });
    expect(res.error === null, `sign-in ${JSON.stringify(res.error)}`);
    const roles = res.data ? String(res.data.user.role).split(",") : [];
    expect(roles.includes("admin"), `role ${res.data && res.data.user.role}`);
  });
  if (!ok) return;
  await run.step("the admin route and the admin plugin answer", [Browser], async (expect) => {
    const r = await api("GET", "/api/admin/stats");
    expect(r.status === 200 && r.json.authors === 1 && r.json.notes === 1, `${r.status} ${JSON.stringify(r.json)}`);
    const users = await Browser.client.admin.listUsers({ query: { limit: 10 } });
    expect(users.error === null && users.data.users.some((u) => u.email === EMAIL), `listUsers ${JSON.stringify(users.error)}`);
  });
}

if (PHASE === "signup") await signupPhase();
else if (PHASE === "admin") await adminPhase();
else throw new Error(`unknown phase ${PHASE}`);
run.done();
