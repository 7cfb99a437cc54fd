// Drives the OFFICIAL Better Auth client (`createAuthClient` from better-auth/client; 1.7.24 has no separate
// generic-OAuth client plugin: genericOAuth providers are plain social providers) through social sign-in with a
// generic OpenID Connect provider "local" on the loopback mock identity provider (tests/social/idp_mock.mjs).
//
//   IDP_URL=http://127.0.0.1:N node social_flow.mjs http://127.0.0.1:8000
//
// The client runs unchanged: fetch with a per-device cookie jar (flow_lib.mjs Device). The browser's hops are made
// by hand, as a browser makes them: the authorization URL answered by signIn.social / linkSocial is fetched WITHOUT
// the device's cookies and without following redirects (the IdP answers 302 at once, no login UI); its Location, the
// server's /callback/local, is then fetched with the device's cookie jar (a top-level navigation: no Origin header).
// The IdP's profile and failures are set through its control API (IDP_URL/__control/...): that is the test's
// hand on the identity provider, not part of the client.
//
// Output: one JSON line per step, as client_flow.mjs (the runner of flow_lib.mjs, with the wire checks extended to
// the flow's `better-auth.state` cookie); the last line is {"step":"done","ok":true} when every step passed, and
// {"step":"users",...} before it lists the e-mails and account ids the pytest side checks in the database.
import { createRemoteJWKSet, decodeJwt, jwtVerify } from "jose";

import { Device, ID32, ORIGIN, SESSION_COOKIE, baseUrlFromArgs, expectError, summarize, wireChecks } from "./flow_lib.mjs";

const BASE_URL = baseUrlFromArgs();
const IDP = process.env.IDP_URL;
if (!IDP) {
  console.error("social_flow.mjs: IDP_URL is required");
  process.exit(2);
}
const PROVIDER = "local";
const CLIENT_ID = process.env.OIDC_CLIENT_ID || "local-client";
const CALLBACK = `${BASE_URL}/api/auth/callback/${PROVIDER}`;
const STATE_COOKIE = "better-auth.state";
const DASH = `${ORIGIN}/dash`;
const WELCOME = `${ORIGIN}/welcome`;
const OOPS = `${ORIGIN}/oops`;
const LINKED = `${ORIGIN}/linked`;
const SCOPES = ["openid", "email", "profile"];
const ACCOUNT_KEYS = ["accountId", "createdAt", "id", "providerId", "scopes", "updatedAt", "userId"];
const STATE_VALUE = /^[A-Za-z0-9_-]{32}\.[A-Za-z0-9%+/=]+%3D$/;

const suffix = Math.random().toString(36).slice(2, 10);
const dora = { sub: `sub-${suffix}`, email: `dora.${suffix}@example.com`, name: "Dora Social", picture: "https://img.example/dora.png" };
const carol = { email: `carol.${suffix}@example.com`, password: "correct horse battery staple" };
const carolAtIdp = { sub: `carol-${suffix}`, email: carol.email, name: "Carol at the IdP" };
const state = {};

// Browsers: A signs up with the IdP, B is A's second browser, C an email/password user who links the IdP,
// D meets a refusing IdP, E starts a flow that F (an attacker's browser, no state cookie) tries to finish.
// Origin is sent like a browser on ORIGIN sends it: on fetches, not on the navigation to the callback.
const deviceOptions = { sendOrigin: (path) => !path.includes("/callback/") };
const [A, B, C, D, E, F] = ["A", "B", "C", "D", "E", "F"].map((label) => new Device(label, BASE_URL, deviceOptions));

// ------------------------------------------------------------------------------------------- runner
// flow_lib's createRunner, with its wire checks taught the OAuth state cookie: `better-auth.state=<state>.<sig>;
// Max-Age=300; Path=/; HttpOnly; SameSite=Lax` (its deletion is the standard one flow_lib already checks).
let failed = false;
function stateCookieIssues(ex) {
  const issues = [];
  for (const raw of ex.setCookies) {
    if (!raw.startsWith(`${STATE_COOKIE}=`) || raw.startsWith(`${STATE_COOKIE}=;`)) continue;
    const [pair, ...attrs] = raw.split(";").map((s) => s.trim());
    const value = pair.slice(STATE_COOKIE.length + 1);
    if (!STATE_VALUE.test(value) || attrs.join("; ") !== "Max-Age=300; Path=/; HttpOnly; SameSite=Lax")
      issues.push(`${ex.method} ${ex.path} -> ${ex.status}: state cookie ${JSON.stringify(raw)}`);
  }
  return issues;
}

async function step(name, devices, fn) {
  const problems = [];
  const expect = (cond, message) => {
    if (!cond) problems.push(message);
  };
  const marks = devices.map((d) => d.exchanges.length);
  let summary;
  try {
    summary = await fn(expect);
  } catch (err) {
    problems.push(`threw: ${err && err.stack ? err.stack : err}`);
  }
  const wire = [];
  const exchanges = [];
  devices.forEach((d, i) => {
    for (const ex of d.exchanges.slice(marks[i])) {
      const ours = wireChecks(ex).filter((w) => !w.includes(`unexpected cookie "${STATE_COOKIE}=`));
      wire.push(...ours, ...stateCookieIssues(ex));
      exchanges.push({ device: d.label, method: ex.method, path: ex.path, status: ex.status, setCookies: ex.setCookies });
    }
  });
  console.log(JSON.stringify({ step: name, ok: problems.length === 0, problems, data: summary ?? null, wire, exchanges }));
  if (problems.length) {
    failed = true;
    process.exitCode = 1;
  }
  return problems.length === 0;
}

// ------------------------------------------------------------------------------------------- helpers
async function control(name, body) {
  const res = await fetch(`${IDP}/__control/${name}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`IdP control ${name}: ${res.status} ${await res.text()}`);
}

function setProfile(profile) {
  return control("profile", { email_verified: true, ...profile });
}

function query(url) {
  return Object.fromEntries(new URL(url).searchParams);
}

/** The browser at the IdP: the authorization URL, not following redirects, no cookies of ours. */
async function atIdp(expect, url) {
  const res = await fetch(url, { redirect: "manual" });
  const location = res.headers.get("location") || "";
  expect(res.status === 302, `IdP answered ${res.status} to the authorization URL`);
  expect(location.startsWith(`${CALLBACK}?`), `IdP redirected to ${location}, not ${CALLBACK}`);
  return location;
}

/** The browser comes back: GET the callback with the device's cookies; the exchange (status, Location, cookies). */
async function backAt(device, location) {
  await device.fetch(location, { method: "GET" });
  const ex = device.last();
  return { status: ex.status, location: ex.headers.location ?? null, setCookies: ex.setCookies };
}

function sessionCookieSet(ex) {
  return ex.setCookies.some((c) => c.startsWith(`${SESSION_COOKIE}=`) && !c.startsWith(`${SESSION_COOKIE}=;`));
}

function stateCookieDeleted(ex) {
  return ex.setCookies.includes(`${STATE_COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax`);
}

/** signIn.social as a single-page app calls it: disableRedirect, the app navigates to `url` itself. */
function signInSocial(device, extra = {}) {
  return device.client.signIn.social({
    provider: PROVIDER,
    callbackURL: DASH,
    newUserCallbackURL: WELCOME,
    errorCallbackURL: OOPS,
    disableRedirect: true,
    ...extra,
  });
}

/** start -> IdP -> callback; the callback's answer. */
async function roundTrip(expect, device, start = () => signInSocial(device)) {
  const res = await start();
  expect(res.error === null && res.data && typeof res.data.url === "string", `start answered ${JSON.stringify(summarize(res))}`);
  const location = await atIdp(expect, res.data.url);
  return backAt(device, location);
}

// ------------------------------------------------------------------------------------------- the flow
async function main() {
  let ok = await step("signIn.social answers the authorization URL", [A], async (expect) => {
    await setProfile(dora);
    const res = await signInSocial(A);
    expect(res.error === null, `error ${JSON.stringify(res.error)}`);
    const data = res.data || {};
    expect(JSON.stringify(Object.keys(data).sort()) === '["redirect","url"]', `keys ${Object.keys(data)}`);
    expect(data.redirect === false, `redirect ${data.redirect} (disableRedirect:true)`);
    expect(typeof data.url === "string" && data.url.startsWith(`${IDP}/authorize?`), `url ${data.url}`);
    const params = query(data.url);
    expect(
      JSON.stringify(Object.keys(params)) ===
        JSON.stringify(["response_type", "client_id", "state", "scope", "redirect_uri", "nonce", "code_challenge_method", "code_challenge"]),
      `authorization parameters ${Object.keys(params)}`,
    );
    expect(params.response_type === "code" && params.client_id === CLIENT_ID, `response_type/client_id ${params.response_type} ${params.client_id}`);
    expect(params.scope === SCOPES.join(" "), `scope ${params.scope}`);
    expect(params.redirect_uri === CALLBACK, `redirect_uri ${params.redirect_uri} != ${CALLBACK}`);
    expect(/^[A-Za-z0-9_-]{32}$/.test(params.state), `state ${params.state}`);
    expect(/^[A-Za-z0-9_-]{32}$/.test(params.nonce), `nonce ${params.nonce}`);
    expect(params.code_challenge_method === "S256" && /^[A-Za-z0-9_-]{43}$/.test(params.code_challenge), `PKCE ${params.code_challenge}`);
    const ex = A.last();
    expect(ex.status === 200 && ex.headers.location === undefined, `status ${ex.status}, Location ${ex.headers.location}`);
    const cookie = A.cookies.get(STATE_COOKIE);
    expect(cookie && decodeURIComponent(cookie).split(".")[0] === params.state, `state cookie ${cookie} does not carry ${params.state}`);
    state.authorizeUrl = data.url;
    state.state = params.state;
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("callback signs up and redirects to newUserCallbackURL", [A], async (expect) => {
    const location = await atIdp(expect, state.authorizeUrl);
    const params = query(location);
    expect(params.state === state.state && typeof params.code === "string" && params.iss === IDP, `IdP answered ${location}`);
    const cb = await backAt(A, location);
    expect(cb.status === 302, `callback status ${cb.status}`);
    expect(cb.location === WELCOME, `callback redirected to ${cb.location}, not ${WELCOME}`);
    expect(sessionCookieSet(A.last()), `no session cookie: ${cb.setCookies}`);
    expect(stateCookieDeleted(A.last()) && !A.cookies.has(STATE_COOKIE), `state cookie not deleted: ${cb.setCookies}`);
    return cb;
  });
  if (!ok) return;

  ok = await step("get-session shows the new user", [A], async (expect) => {
    const res = await A.client.getSession();
    const user = res.data && res.data.user;
    expect(user && ID32.test(user.id), `user ${JSON.stringify(user)}`);
    expect(user && user.email === dora.email && user.name === dora.name && user.image === dora.picture, `user ${JSON.stringify(user)}`);
    expect(user && user.emailVerified === true, "the IdP's email_verified was not kept");
    state.doraId = user && user.id;
    state.doraToken = res.data && res.data.session.token;
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("listAccounts shows the local account with its scopes", [A], async (expect) => {
    const res = await A.client.listAccounts();
    expect(res.error === null && Array.isArray(res.data) && res.data.length === 1, `answer ${JSON.stringify(summarize(res))}`);
    const account = (res.data || [])[0] || {};
    expect(JSON.stringify(Object.keys(account).sort()) === JSON.stringify(ACCOUNT_KEYS), `keys ${Object.keys(account).sort()}`);
    expect(account.providerId === PROVIDER && account.accountId === dora.sub, `account ${JSON.stringify(account)}`);
    expect(account.userId === state.doraId && ID32.test(account.id), `account ${JSON.stringify(account)}`);
    expect(JSON.stringify(account.scopes) === JSON.stringify(SCOPES), `scopes ${JSON.stringify(account.scopes)}`);
    state.doraAccount = account.id;
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("getAccessToken returns the IdP's access token", [A], async (expect) => {
    const res = await A.client.getAccessToken({ accountId: state.doraAccount });
    const data = res.data || {};
    expect(res.error === null, `error ${JSON.stringify(res.error)}`);
    expect(
      JSON.stringify(Object.keys(data).sort()) === '["accessToken","accessTokenExpiresAt","idToken","scopes"]',
      `keys ${Object.keys(data).sort()}`,
    );
    expect(JSON.stringify(data.scopes) === JSON.stringify(SCOPES), `scopes ${JSON.stringify(data.scopes)}`);
    const expiresIn = data.accessTokenExpiresAt instanceof Date ? data.accessTokenExpiresAt.getTime() - Date.now() : NaN;
    expect(expiresIn > 3500e3 && expiresIn <= 3600e3, `accessTokenExpiresAt ${data.accessTokenExpiresAt} is not ~1 h ahead`);
    // The token is the IdP's own: it verifies against the IdP's keys and the IdP's userinfo accepts it.
    const jwks = createRemoteJWKSet(new URL(`${IDP}/jwks`));
    const { payload } = await jwtVerify(data.accessToken, jwks, { issuer: IDP });
    expect(payload.sub === dora.sub, `access token sub ${payload.sub}`);
    const userinfo = await fetch(`${IDP}/userinfo`, { headers: { authorization: `Bearer ${data.accessToken}` } });
    const profile = await userinfo.json();
    expect(userinfo.status === 200 && profile.sub === dora.sub, `IdP userinfo answered ${userinfo.status} ${JSON.stringify(profile)}`);
    const idToken = decodeJwt(data.idToken);
    expect(idToken.sub === dora.sub && idToken.aud === CLIENT_ID && idToken.iss === IDP, `id token ${JSON.stringify(idToken)}`);
    state.doraAccessToken = data.accessToken;
    return { accessToken: data.accessToken, scopes: data.scopes };
  });
  if (!ok) return;

  ok = await step("refreshToken gets new tokens from the IdP", [A], async (expect) => {
    const res = await A.client.refreshToken({ accountId: state.doraAccount });
    const data = res.data || {};
    expect(res.error === null, `error ${JSON.stringify(res.error)}`);
    expect(
      JSON.stringify(Object.keys(data).sort()) ===
        '["accessToken","accessTokenExpiresAt","accountId","idToken","providerId","refreshToken","refreshTokenExpiresAt","scope"]',
      `keys ${Object.keys(data).sort()}`,
    );
    expect(data.providerId === PROVIDER && data.accountId === state.doraAccount, `${data.providerId} ${data.accountId}`);
    expect(data.scope === SCOPES.join(","), `scope ${data.scope}`);
    expect(typeof data.refreshToken === "string" && data.refreshToken.length > 0, `refreshToken ${data.refreshToken}`);
    expect(data.refreshTokenExpiresAt === null, `refreshTokenExpiresAt ${data.refreshTokenExpiresAt}`);
    expect(typeof data.accessToken === "string" && data.accessToken !== state.doraAccessToken, "the access token did not change");
    const again = await A.client.getAccessToken({ accountId: state.doraAccount });
    expect(again.data && again.data.accessToken === data.accessToken, "getAccessToken does not answer the refreshed token");
    return { scope: data.scope, providerId: data.providerId };
  });
  if (!ok) return;

  ok = await step("a second browser signs in and lands on callbackURL", [B], async (expect) => {
    const cb = await roundTrip(expect, B);
    expect(cb.status === 302 && cb.location === DASH, `callback answered ${cb.status} ${cb.location}, not ${DASH}`);
    expect(sessionCookieSet(B.last()), `no session cookie: ${cb.setCookies}`);
    const res = await B.client.getSession();
    expect(res.data && res.data.user.id === state.doraId, `B is ${JSON.stringify(res.data && res.data.user)}`);
    expect(res.data && res.data.session.token !== state.doraToken, "B got A's session");
    const accounts = await B.client.listAccounts();
    expect(accounts.data && accounts.data.length === 1 && accounts.data[0].id === state.doraAccount, "a second account row appeared");
    return cb;
  });
  if (!ok) return;

  ok = await step("linkSocial links the IdP account of an email/password user", [C], async (expect) => {
    const signUp = await C.client.signUp.email({ email: carol.email, password: carol.password, name: "Carol" });
    expect(signUp.error === null, `sign-up error ${JSON.stringify(signUp.error)}`);
    state.carolId = signUp.data && signUp.data.user.id;
    state.carolToken = signUp.data && signUp.data.token;
    await setProfile(carolAtIdp);
    const res = await C.client.linkSocial({ provider: PROVIDER, callbackURL: LINKED, errorCallbackURL: OOPS });
    const data = res.data || {};
    expect(res.error === null && data.redirect === true && typeof data.url === "string", `answer ${JSON.stringify(summarize(res))}`);
    expect(C.last().headers.location === data.url, `Location ${C.last().headers.location} != url`);
    expect(query(data.url).redirect_uri === CALLBACK, `redirect_uri ${query(data.url).redirect_uri}`);
    const cb = await backAt(C, await atIdp(expect, data.url));
    expect(cb.status === 302 && cb.location === LINKED, `callback answered ${cb.status} ${cb.location}, not ${LINKED}`);
    expect(!sessionCookieSet(C.last()), `linking set a session cookie: ${cb.setCookies}`);
    expect(stateCookieDeleted(C.last()), `state cookie not deleted: ${cb.setCookies}`);
    const session = await C.client.getSession();
    expect(session.data && session.data.session.token === state.carolToken, "linking changed the session");
    const accounts = await C.client.listAccounts();
    const byProvider = Object.fromEntries((accounts.data || []).map((a) => [a.providerId, a]));
    expect(accounts.data && accounts.data.length === 2, `accounts ${JSON.stringify(accounts.data)}`);
    expect(byProvider.credential && JSON.stringify(byProvider.credential.scopes) === "[]", `credential ${JSON.stringify(byProvider.credential)}`);
    const local = byProvider[PROVIDER] || {};
    expect(local.accountId === carolAtIdp.sub && local.userId === state.carolId, `linked ${JSON.stringify(local)}`);
    expect(JSON.stringify(local.scopes) === JSON.stringify(SCOPES), `linked scopes ${JSON.stringify(local.scopes)}`);
    state.carolLocal = local.id;
    state.carolCredential = byProvider.credential && byProvider.credential.id;
    return cb;
  });
  if (!ok) return;

  ok = await step("unlinkAccount", [A, C], async (expect) => {
    const unknown = await C.client.unlinkAccount({ accountId: "no-such-account" });
    expectError(expect, unknown, 400, "ACCOUNT_NOT_FOUND", "Account not found");
    const theirs = await C.client.getAccessToken({ accountId: state.doraAccount });
    expectError(expect, theirs, 400, "ACCOUNT_NOT_FOUND", "Account not found");
    const res = await C.client.unlinkAccount({ accountId: state.carolLocal });
    expect(res.error === null && res.data && res.data.status === true, `answer ${JSON.stringify(summarize(res))}`);
    const accounts = await C.client.listAccounts();
    expect(
      accounts.data && accounts.data.length === 1 && accounts.data[0].providerId === "credential",
      `accounts after unlink ${JSON.stringify(accounts.data)}`,
    );
    const last = await C.client.unlinkAccount({ accountId: state.carolCredential });
    expectError(expect, last, 400, "FAILED_TO_UNLINK_LAST_ACCOUNT", "You can't unlink your last account");
    const doraLast = await A.client.unlinkAccount({ accountId: state.doraAccount });
    expectError(expect, doraLast, 400, "FAILED_TO_UNLINK_LAST_ACCOUNT", "You can't unlink your last account");
    const stillThere = await A.client.listAccounts();
    expect(stillThere.data && stillThere.data.length === 1, `A's accounts ${JSON.stringify(stillThere.data)}`);
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("sign-in with the unlinked IdP account: account_not_linked (local email unverified)", [C], async (expect) => {
    const cb = await roundTrip(expect, C);
    expect(cb.status === 302 && cb.location === `${OOPS}?error=account_not_linked`, `callback answered ${cb.status} ${cb.location}`);
    expect(!sessionCookieSet(C.last()), `a session cookie was set: ${cb.setCookies}`);
    const session = await C.client.getSession();
    expect(session.data && session.data.session.token === state.carolToken, "the session changed");
    return cb;
  });
  if (!ok) return;

  ok = await step("the IdP denies: errorCallbackURL with error=access_denied", [D], async (expect) => {
    await setProfile(dora);
    await control("fail", { endpoint: "authorize", mode: "deny" });
    const res = await signInSocial(D);
    const location = await atIdp(expect, res.data.url);
    expect(query(location).error === "access_denied", `IdP answered ${location}`);
    const cb = await backAt(D, location);
    const expected = `${OOPS}?error=access_denied&error_description=injected+deny+failure+at+authorize`;
    expect(cb.status === 302 && cb.location === expected, `callback answered ${cb.status} ${cb.location}, not ${expected}`);
    expect(!sessionCookieSet(D.last()), `a session cookie was set: ${cb.setCookies}`);
    expect(stateCookieDeleted(D.last()), `state cookie not deleted: ${cb.setCookies}`);
    const session = await D.client.getSession();
    expect(session.data === null, "signed in after a denial");
    return cb;
  });
  if (!ok) return;

  ok = await step("a callback without the state cookie is refused, the rightful browser then finishes", [E, F], async (expect) => {
    const res = await signInSocial(E);
    const location = await atIdp(expect, res.data.url);
    const forged = await backAt(F, location);
    expect(forged.status === 302 && forged.location === `${OOPS}?error=state_mismatch`, `F answered ${forged.status} ${forged.location}`);
    expect(!sessionCookieSet(F.last()), `F got a session cookie: ${forged.setCookies}`);
    const rightful = await backAt(E, location);
    expect(rightful.status === 302 && rightful.location === DASH, `E answered ${rightful.status} ${rightful.location}`);
    const session = await E.client.getSession();
    expect(session.data && session.data.user.id === state.doraId, `E is ${JSON.stringify(session.data && session.data.user)}`);
    // Replayed: the state row is gone, so the flow's errorCallbackURL is unknown too: the server's error page.
    const replay = await backAt(E, location);
    const errorPage = `${BASE_URL}/api/auth/error?error=state_mismatch`;
    expect(replay.status === 302 && replay.location === errorPage, `replay answered ${replay.status} ${replay.location}`);
    return { forged, rightful, replay };
  });
  if (!ok) return;

  console.log(
    JSON.stringify({
      step: "users",
      ok: true,
      data: { dora: { ...dora, id: state.doraId, account: state.doraAccount }, carol: { ...carol, ...carolAtIdp, id: state.carolId } },
    }),
  );
  if (!failed) console.log(JSON.stringify({ step: "done", ok: true }));
}

main().catch((err) => {
  console.log(JSON.stringify({ step: "crashed", ok: false, problems: [String(err && err.stack ? err.stack : err)] }));
  process.exitCode = 1;
});
