// The official client as a Next.js frontend of the example backends (examples/todo, examples/rag_chat): it signs
// in with better-auth's createAuthClient, then calls the app's own API with each credential a frontend may hold.
//
//   BETTER_AUTH_SECRET=... node example_flow.mjs http://127.0.0.1:8000 todo|rag_chat
import { jwtClient } from "better-auth/client/plugins";
import { SignJWT } from "jose";

import { ADMIN_SESSION_KEYS, ADMIN_USER_KEYS, Device, baseUrlFromArgs, createRunner, summarize } from "./flow_lib.mjs";

const BASE_URL = baseUrlFromArgs();
const APP = process.argv[3];
// Both examples run the admin plugin: users carry role/banned fields, sessions impersonatedBy.
const run = createRunner({ userKeys: ADMIN_USER_KEYS, sessionKeys: ADMIN_SESSION_KEYS });
const step = run.step;
const suffix = Math.random().toString(36).slice(2, 10);
const PASSWORD = "correct horse battery staple";
const Browser = new Device("Browser", BASE_URL, { plugins: [jwtClient()] });
const Other = new Device("Other", BASE_URL, { plugins: [jwtClient()] });
const state = {};

/** A call to the app's own API, outside the auth client: with the device's cookies, or a bearer credential. */
async function api(method, path, { device, bearer, body } = {}) {
  const headers = { origin: "http://localhost:3000" };
  if (device && device.cookies.size) headers.cookie = [...device.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${BASE_URL}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null, contentType: res.headers.get("content-type") };
}

async function signUp(device, name) {
  const res = await device.client.signUp.email({ email: `${name}.${suffix}@example.com`, password: PASSWORD, name });
  if (res.error) throw new Error(`sign-up failed: ${JSON.stringify(res.error)}`);
  return { user: res.data.user, bearer: device.last().headers["set-auth-token"] };
}

async function credentials(expect) {
  const { user, bearer } = await signUp(Browser, "Ada");
  state.user = user;
  const token = await Browser.client.token();
  expect(token.error === null && typeof token.data.token === "string", `token ${JSON.stringify(summarize(token))}`);
  const secret = new TextEncoder().encode(process.env.BETTER_AUTH_SECRET);
  const hs256 = await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject(user.id).setExpirationTime("5m").sign(secret);
  state.creds = { cookie: { device: Browser }, bearer: { bearer }, eddsa: { bearer: token.data.token }, hs256: { bearer: hs256 } };
  return { user: user.email, kinds: Object.keys(state.creds) };
}

async function todo() {
  let ok = await step("sign-up with the official client; every credential in hand", [Browser], credentials);
  if (!ok) return;
  ok = await step("tasks created and listed with each credential", [Browser], async (expect) => {
    const made = [];
    for (const [kind, cred] of Object.entries(state.creds)) {
      const created = await api("POST", "/api/tasks", { ...cred, body: { title: `via ${kind}` } });
      expect(created.status === 201 && created.json.user_id === state.user.id, `${kind}: POST ${created.status} ${JSON.stringify(created.json)}`);
      made.push(`via ${kind}`);
      const listed = await api("GET", "/api/tasks", cred);
      const titles = listed.status === 200 ? listed.json.map((t) => t.title) : listed.status;
      expect(JSON.stringify(titles) === JSON.stringify(made), `${kind}: GET /api/tasks ${JSON.stringify(titles)}`);
    }
    state.taskId = (await api("GET", "/api/tasks", state.creds.cookie)).json[0].id;
    return made;
  });
  if (!ok) return;
  ok = await step("toggle, filter and validation as seed 002 says", [Browser], async (expect) => {
    const toggled = await api("PATCH", `/api/tasks/${state.taskId}/complete`, state.creds.eddsa);
    expect(toggled.status === 200 && toggled.json.completed === true, `toggle ${JSON.stringify(toggled)}`);
    const done = await api("GET", "/api/tasks?status=completed", state.creds.hs256);
    expect(done.status === 200 && done.json.length === 1, `completed ${JSON.stringify(done.json)}`);
    const bad = await api("GET", "/api/tasks?status=archive", state.creds.bearer);
    expect(
      bad.status === 400 && bad.json.code === "INVALID_STATUS" && bad.json.message === "Invalid status filter: must be 'pending', 'completed', or 'all'",
      `status=archive ${JSON.stringify(bad)}`,
    );
    const long = await api("PUT", `/api/tasks/${state.taskId}`, { ...state.creds.cookie, body: { title: "x".repeat(201) } });
    expect(long.status === 422 && long.json.code === "VALIDATION_ERROR", `long title ${long.status} ${JSON.stringify(long.json)}`);
    return { toggled: toggled.json.completed };
  });
  if (!ok) return;
  ok = await step("another user gets 404 and no tasks", [Other], async (expect) => {
    await signUp(Other, "Eve");
    const read = await api("GET", `/api/tasks/${state.taskId}`, { device: Other });
    const del = await api("DELETE", `/api/tasks/${state.taskId}`, { device: Other });
    const mine = await api("GET", "/api/tasks", { device: Other });
    expect(read.status === 404 && del.status === 404, `cross-user ${read.status}/${del.status}`);
    expect(mine.status === 200 && mine.json.length === 0, `Eve sees ${JSON.stringify(mine.json)}`);
    const admin = await api("GET", "/api/admin/tasks", { device: Other });
    expect(admin.status === 403, `admin view for a user: ${admin.status}`);
    return null;
  });
  if (!ok) return;
  ok = await step("signing out ends cookie and bearer access", [Browser], async (expect) => {
    const res = await Browser.client.signOut();
    expect(res.error === null, `sign-out ${JSON.stringify(summarize(res))}`);
    const cookie = await api("GET", "/api/tasks", { device: Browser });
    const bearer = await api("GET", "/api/tasks", state.creds.bearer);
    expect(cookie.status === 401 && bearer.status === 401, `after sign-out ${cookie.status}/${bearer.status}`);
    expect(JSON.stringify(cookie.json) === JSON.stringify({ message: "Unauthorized", code: "UNAUTHORIZED" }), `401 body ${JSON.stringify(cookie.json)}`);
    return null;
  });
  if (!ok) return;
  run.done();
}

async function ragChat() {
  let ok = await step("sign-up with the official client; every credential in hand", [Browser], async (expect) => {
    const summary = await credentials(expect);
    delete state.creds.hs256; // seed 004 verifies the jwt plugin's tokens against the JWKS (FR-004), no shared secret
    return summary;
  });
  if (!ok) return;
  ok = await step("chat with sources, using each credential", [Browser], async (expect) => {
    const conv = await api("POST", "/api/conversations", { ...state.creds.cookie, body: { title: "Questions" } });
    expect(conv.status === 201, `create ${conv.status}`);
    state.conversation = conv.json.id;
    for (const [kind, cred] of Object.entries(state.creds)) {
      const asked = await api("POST", `/api/conversations/${state.conversation}/messages`, { ...cred, body: { content: "How long do sessions last?" } });
      expect(asked.status === 201 && asked.json.answer.sources[0].document_id === "sessions", `${kind}: ${asked.status} ${JSON.stringify(asked.json).slice(0, 300)}`);
    }
    const listed = await api("GET", "/api/conversations?q=sessions", state.creds.eddsa);
    expect(listed.status === 200 && listed.json.total === 1 && listed.json.items[0].message_count === 6, `search ${JSON.stringify(listed.json).slice(0, 300)}`);
    const me = await api("GET", "/api/me", state.creds.eddsa);
    expect(me.status === 200 && me.json.via === "jwt" && me.json.user.id === state.user.id, `me ${JSON.stringify(me.json)}`);
    return { conversation: "created" };
  });
  if (!ok) return;
  ok = await step("another user cannot see the conversation", [Other], async (expect) => {
    await signUp(Other, "Eve");
    const read = await api("GET", `/api/conversations/${state.conversation}`, { device: Other });
    const usage = await api("GET", "/api/admin/usage", { device: Other });
    expect(read.status === 404 && usage.status === 403, `cross-user ${read.status}, usage ${usage.status}`);
    return null;
  });
  if (!ok) return;
  ok = await step("deleteUser from the client purges the chat data", [Browser], async (expect) => {
    const res = await Browser.client.deleteUser({ password: PASSWORD });
    expect(res.error === null && res.data.success === true, `deleteUser ${JSON.stringify(summarize(res))}`);
    const jwt = await api("GET", "/api/conversations", state.creds.eddsa);
    expect(jwt.status === 401, `a deleted user's JWT: ${jwt.status}`);
    const again = await Browser.client.signIn.email({ email: state.user.email, password: PASSWORD });
    expect(again.error && again.error.status === 401, `sign-in after deletion ${JSON.stringify(summarize(again))}`);
    return null;
  });
  if (!ok) return;
  run.done();
}

(APP === "todo" ? todo() : ragChat()).catch((err) => {
  console.log(JSON.stringify({ step: "crashed", ok: false, problems: [String(err && err.stack ? err.stack : err)] }));
  process.exitCode = 1;
});
