// Shared machinery of the official-client flows (client_flow.mjs, plugin_flow.mjs): a per-device cookie jar
// plugged into createAuthClient through fetchOptions.customFetchImpl, the step runner and its JSON-lines output,
// and the wire checks (details the client tolerates but in which the server must still equal Better Auth).
import { createAuthClient } from "better-auth/client";

export const ORIGIN = process.env.CLIENT_ORIGIN || "http://localhost:3000";
export const SESSION_COOKIE = "better-auth.session_token";
export const DONT_REMEMBER_COOKIE = "better-auth.dont_remember";
export const SESSION_DATA_COOKIE = "better-auth.session_data";
export const ADMIN_SESSION_COOKIE = "better-auth.admin_session";

export const ID32 = /^[A-Za-z0-9]{32}$/;
export const JS_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ANY_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/;
const SIGNED_COOKIE_VALUE = /^[A-Za-z0-9]{32}\.[A-Za-z0-9%+/=]+$/;
export const SIGNED_TOKEN = /^[A-Za-z0-9]{32}\.[A-Za-z0-9+/]{43}=$/;
export const CORE_USER_KEYS = ["createdAt", "email", "emailVerified", "id", "image", "name", "updatedAt"];
export const CORE_SESSION_KEYS = ["createdAt", "expiresAt", "id", "ipAddress", "token", "updatedAt", "userAgent", "userId"];
export const ADMIN_USER_KEYS = [...CORE_USER_KEYS, "role", "banned", "banReason", "banExpires"];
export const ADMIN_SESSION_KEYS = [...CORE_SESSION_KEYS, "impersonatedBy"];
export const DAY = 86400 * 1000;

export function baseUrlFromArgs() {
  const baseURL = process.argv[2] || process.env.BASE_URL;
  if (!baseURL) {
    console.error(`usage: node ${process.argv[1]} <server origin>`);
    process.exit(2);
  }
  return baseURL;
}

// ------------------------------------------------------------------------------------------- cookie jar
export function parseSetCookie(header) {
  const [pair, ...attrs] = header.split(";").map((s) => s.trim());
  const eq = pair.indexOf("=");
  const attributes = {};
  for (const a of attrs) {
    const i = a.indexOf("=");
    if (i === -1) attributes[a.toLowerCase()] = true;
    else attributes[a.slice(0, i).toLowerCase()] = a.slice(i + 1);
  }
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attrs, attributes };
}

/**
 * One simulated browser (or API client). `keepCookies:false` makes a bearer-only client; `sendOrigin` may be a
 * function of the path (bearer clients send Origin only where the CSRF check needs it).
 */
export class Device {
  constructor(label, baseURL, { plugins = [], keepCookies = true, sendOrigin = true, fetchOptions = {} } = {}) {
    this.label = label;
    this.cookies = new Map();
    this.exchanges = [];
    this.keepCookies = keepCookies;
    this.sendOrigin = sendOrigin;
    this.client = createAuthClient({
      baseURL,
      plugins,
      fetchOptions: { ...fetchOptions, customFetchImpl: (input, init) => this.fetch(input, init) },
    });
  }

  async fetch(input, init = {}) {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const path = new URL(url).pathname;
    const headers = new Headers(init.headers || {});
    const origin = typeof this.sendOrigin === "function" ? this.sendOrigin(path) : this.sendOrigin;
    if (origin) headers.set("origin", ORIGIN);
    if (this.cookies.size) headers.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    const method = (init.method || "GET").toUpperCase();
    const response = await fetch(url, { ...init, headers, redirect: "manual" });
    const setCookies = response.headers.getSetCookie();
    if (this.keepCookies) {
      for (const raw of setCookies) {
        const c = parseSetCookie(raw);
        if (c.value === "" || c.attributes["max-age"] === "0") this.cookies.delete(c.name);
        else this.cookies.set(c.name, c.value);
      }
    }
    const body = await response.clone().text();
    this.exchanges.push({
      method,
      path,
      requestHeaders: Object.fromEntries(headers),
      status: response.status,
      statusText: response.statusText,
      headers: Object.fromEntries(response.headers),
      setCookies,
      body,
    });
    return response;
  }

  last() {
    return this.exchanges[this.exchanges.length - 1];
  }
}

export function cookieAttrs(ex, name) {
  const raw = ex.setCookies.find((c) => c.startsWith(`${name}=`));
  return raw ? parseSetCookie(raw) : null;
}

// ------------------------------------------------------------------------------------------- wire checks
function datesIn(value, path = "$", out = []) {
  if (typeof value === "string" && ANY_ISO.test(value)) out.push([path, value]);
  else if (Array.isArray(value)) value.forEach((v, i) => datesIn(v, `${path}[${i}]`, out));
  else if (value && typeof value === "object")
    for (const [k, v] of Object.entries(value)) datesIn(v, `${path}.${k}`, out);
  return out;
}

function sameKeys(obj, keys) {
  const got = Object.keys(obj || {}).sort();
  return JSON.stringify(got) === JSON.stringify([...keys].sort()) ? null : got;
}

function looksLikeUser(o) {
  return o && typeof o === "object" && "email" in o && "emailVerified" in o;
}

function looksLikeSession(o) {
  return o && typeof o === "object" && "token" in o && "expiresAt" in o && "userId" in o;
}

/** Wire details of one exchange that the client itself does not care about. */
export function wireChecks(ex, { userKeys = CORE_USER_KEYS, sessionKeys = CORE_SESSION_KEYS } = {}) {
  const issues = [];
  const where = `${ex.method} ${ex.path} -> ${ex.status}`;
  const ctype = ex.headers["content-type"] || "";
  let json;
  if (ex.body !== "") {
    if (!ctype.startsWith("application/json")) issues.push(`${where}: content-type ${JSON.stringify(ctype)}`);
    try {
      json = JSON.parse(ex.body);
    } catch {
      issues.push(`${where}: body is not JSON: ${ex.body.slice(0, 200)}`);
    }
  }
  if (json !== undefined) {
    for (const [path, value] of datesIn(json)) {
      if (!JS_ISO.test(value)) issues.push(`${where}: ${path} = ${JSON.stringify(value)} is not JS toISOString format`);
    }
    const objects = [];
    const walk = (v, p) => {
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${p}[${i}]`));
      else if (v && typeof v === "object") {
        objects.push([p, v]);
        for (const [k, x] of Object.entries(v)) walk(x, `${p}.${k}`);
      }
    };
    walk(json, "$");
    for (const [p, o] of objects) {
      if (looksLikeUser(o)) {
        const got = sameKeys(o, userKeys);
        if (got) issues.push(`${where}: ${p} user keys ${JSON.stringify(got)} != ${JSON.stringify([...userKeys].sort())}`);
      } else if (looksLikeSession(o)) {
        const got = sameKeys(o, sessionKeys);
        if (got)
          issues.push(`${where}: ${p} session keys ${JSON.stringify(got)} != ${JSON.stringify([...sessionKeys].sort())}`);
      }
    }
  }
  for (const raw of ex.setCookies) {
    const c = parseSetCookie(raw);
    const deleting = c.attributes["max-age"] === "0";
    const attrs = c.attrs.join("; ");
    if (deleting) {
      if (c.value !== "" || attrs !== "Max-Age=0; Path=/; HttpOnly; SameSite=Lax") {
        issues.push(`${where}: deletion cookie ${JSON.stringify(raw)} != "${c.name}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"`);
      }
    } else if (c.name === SESSION_COOKIE) {
      if (!SIGNED_COOKIE_VALUE.test(c.value) || !c.value.endsWith("%3D")) {
        issues.push(`${where}: session cookie value ${JSON.stringify(c.value)} is not <token>.<url-encoded base64 sig>`);
      }
      if (attrs !== "Max-Age=604800; Path=/; HttpOnly; SameSite=Lax" && attrs !== "Path=/; HttpOnly; SameSite=Lax") {
        issues.push(`${where}: session cookie attributes ${JSON.stringify(attrs)}`);
      }
    } else if (c.name === DONT_REMEMBER_COOKIE) {
      if (!/^true\.[A-Za-z0-9%+/=]+%3D$/.test(c.value) || attrs !== "Path=/; HttpOnly; SameSite=Lax") {
        issues.push(`${where}: dont_remember cookie ${JSON.stringify(raw)}`);
      }
    } else if (c.name === ADMIN_SESSION_COOKIE) {
      if (!/^[A-Za-z0-9]{32}%3A[^.]*\.[A-Za-z0-9%+/=]+%3D$/.test(c.value) || attrs !== "Max-Age=604800; Path=/; HttpOnly; SameSite=Lax") {
        issues.push(`${where}: admin_session cookie ${JSON.stringify(raw)}`);
      }
    } else {
      issues.push(`${where}: unexpected cookie ${JSON.stringify(raw)}`);
    }
  }
  if (ex.path.endsWith("/get-session")) {
    if (ex.headers["cache-control"] !== "no-store")
      issues.push(`${where}: cache-control ${JSON.stringify(ex.headers["cache-control"])} != "no-store"`);
    if (ex.headers["pragma"] !== "no-cache")
      issues.push(`${where}: pragma ${JSON.stringify(ex.headers["pragma"])} != "no-cache"`);
  }
  return issues;
}

// ------------------------------------------------------------------------------------------- runner
export function summarize(result) {
  if (!result) return result;
  const { data, error } = result;
  return JSON.parse(JSON.stringify({ data, error }));
}

/**
 * `const run = createRunner(wireOptions); if (!(await run.step(name, [devices], async (expect) => {...}))) return;`
 * Prints one JSON line per step; a step with problems sets the exit code to 1.
 */
export function createRunner(wireOptions = {}) {
  const runner = {
    failed: false,
    async step(name, devices, fn) {
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
          wire.push(...wireChecks(ex, wireOptions));
          exchanges.push({ device: d.label, method: ex.method, path: ex.path, status: ex.status, setCookies: ex.setCookies });
        }
      });
      console.log(JSON.stringify({ step: name, ok: problems.length === 0, problems, data: summary ?? null, wire, exchanges }));
      if (problems.length) {
        runner.failed = true;
        process.exitCode = 1;
      }
      return problems.length === 0;
    },
    done() {
      if (!runner.failed) console.log(JSON.stringify({ step: "done", ok: true }));
    },
  };
  return runner;
}

// ------------------------------------------------------------------------------------------- expectations
export function expectError(expect, res, status, code, message) {
  expect(res.data === null, `data should be null, got ${JSON.stringify(res.data)}`);
  expect(res.error && res.error.status === status, `error.status ${res.error && res.error.status} != ${status}`);
  if (code !== undefined) expect(res.error && res.error.code === code, `error.code ${res.error && res.error.code} != ${code}`);
  if (message !== undefined)
    expect(
      res.error && res.error.message === message,
      `error.message ${JSON.stringify(res.error && res.error.message)} != ${JSON.stringify(message)}`,
    );
}

export function expectUser(expect, user, { email, name, image = null }) {
  expect(user && ID32.test(user.id), `user.id ${user && user.id} is not 32 [A-Za-z0-9]`);
  expect(user && user.email === email, `user.email ${user && user.email} != ${email}`);
  expect(user && user.name === name, `user.name ${user && user.name} != ${name}`);
  expect(user && user.image === image, `user.image ${JSON.stringify(user && user.image)} != ${JSON.stringify(image)}`);
  expect(user && user.emailVerified === false, `user.emailVerified ${user && user.emailVerified} != false`);
  expect(user && user.createdAt instanceof Date, "user.createdAt was not parsed into a Date by the client");
  expect(user && user.updatedAt instanceof Date, "user.updatedAt was not parsed into a Date by the client");
}

export function expectSession(expect, res, { token, userId, lifetimeMs }) {
  expect(res.error === null, `error ${JSON.stringify(res.error)}`);
  const s = res.data && res.data.session;
  if (token !== undefined) expect(s && s.token === token, `session.token ${s && s.token} != ${token}`);
  expect(s && s.userId === userId, `session.userId ${s && s.userId} != ${userId}`);
  expect(s && ID32.test(s.id), `session.id ${s && s.id} is not 32 [A-Za-z0-9]`);
  expect(res.data && res.data.user && res.data.user.id === userId, "user.id != session.userId");
  expect(s && s.expiresAt instanceof Date && s.createdAt instanceof Date, "session dates were not parsed into Dates");
  if (s && s.expiresAt instanceof Date && s.createdAt instanceof Date && lifetimeMs) {
    const delta = s.expiresAt.getTime() - s.createdAt.getTime();
    expect(Math.abs(delta - lifetimeMs) < 5000, `session expiresAt - createdAt = ${delta} ms, expected ${lifetimeMs}`);
  }
}
