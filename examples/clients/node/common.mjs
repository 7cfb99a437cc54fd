// What both node example clients share: the access-token schedule, the call to the API with one retry, a
// file only the owner can read, and the command line. The Better Auth parts (the official client) are in
// mobile_client.mjs and browser_client.mjs. See README.md and docs/modes/tokens.md.
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";

/** The refresh credential is gone (expired, signed out, revoked): the user has to sign in again. */
export class SignInRequired extends Error {
  name = "SignInRequired";
}

/** The `exp` of a JWT, in seconds (read, not verified: the API verifies it, the client only schedules). */
export function expiryOf(jwt) {
  const payload = jwt.split(".")[1];
  return JSON.parse(Buffer.from(payload, "base64url").toString("utf8")).exp;
}

/** A small file readable and writable by its owner only (0600): where a client keeps its refresh credential. */
export class PrivateFile {
  constructor(path) {
    this.path = path;
  }

  read() {
    try {
      return readFileSync(this.path, "utf8");
    } catch (error) {
      if (error.code === "ENOENT") return null;
      throw error;
    }
  }

  write(text) {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    writeFileSync(this.path, text, { mode: 0o600 });
    chmodSync(this.path, 0o600); // `mode` only applies when the file is created
  }

  remove() {
    rmSync(this.path, { force: true });
  }
}

/**
 * Calls the API with a short-lived JWT and keeps that JWT fresh. A subclass says how a JWT is minted from the
 * refresh credential (`mint()`, which throws SignInRequired when that credential is gone).
 *
 * Options: `baseURL` (the API, which also serves Better Auth under /api/auth); `now()`, the clock in seconds
 * (default the system clock; tests pass their own); `refreshBefore`, mint again this many seconds before `exp`
 * (default 60); `fetch`, the fetch every request goes through (default the global one).
 */
export class ApiClient {
  constructor({ baseURL, now = () => Date.now() / 1000, refreshBefore = 60, fetch = globalThis.fetch }) {
    this.baseURL = baseURL.replace(/\/$/, "");
    this.now = now;
    this.refreshBefore = refreshBefore;
    this.fetch = fetch;
    /** The JWT in use (kept in memory only: a new process mints its own). */
    this.jwt = null;
    /** How many JWTs this client minted. */
    this.minted = 0;
  }

  /** A JWT valid for more than `refreshBefore` seconds, minted when needed (or always, with `force`). */
  async accessToken({ force = false } = {}) {
    if (!force && this.jwt && expiryOf(this.jwt) - this.now() > this.refreshBefore) return this.jwt;
    this.jwt = null;
    this.jwt = await this.mint();
    this.minted += 1;
    return this.jwt;
  }

  /** `fetch` on the API with `Authorization: Bearer <jwt>`; a 401 mints a new JWT and retries once. */
  async api(path, { method = "GET", body } = {}) {
    let response = await this.#send(path, method, body, await this.accessToken());
    if (response.status === 401) response = await this.#send(path, method, body, await this.accessToken({ force: true }));
    return response;
  }

  async #send(path, method, body, jwt) {
    const headers = { authorization: `Bearer ${jwt}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    return this.fetch(`${this.baseURL}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  }

  /** The signed-in user's tasks (the todo example's `GET /api/tasks`). */
  async tasks() {
    const response = await this.api("/api/tasks");
    if (!response.ok) throw new Error(`GET /api/tasks answered ${response.status}: ${await response.text()}`);
    return response.json();
  }
}

/**
 * The command line of both clients: `--base URL [--email E --password P] [--store FILE] [--origin O] [--sign-out]`.
 * Signs in when given an e-mail and password (else uses the stored credential), prints the tasks; exit code 2
 * when sign-in is required.
 */
export async function main(makeClient, { defaultStore }) {
  const { values } = parseArgs({
    options: {
      base: { type: "string", default: "http://localhost:8000" },
      email: { type: "string" },
      password: { type: "string" },
      store: { type: "string", default: defaultStore },
      origin: { type: "string", default: "http://localhost:3000" },
      "sign-out": { type: "boolean", default: false },
    },
  });
  const client = makeClient(values);
  try {
    if (values.email && values.password) await client.signIn(values.email, values.password);
    if (values["sign-out"]) {
      await client.signOut();
      console.log("signed out");
      return;
    }
    for (const task of await client.tasks()) console.log(`[${task.completed ? "x" : " "}] ${task.title}`);
  } catch (error) {
    if (!(error instanceof SignInRequired)) throw error;
    console.error(`sign-in required (${error.message}): run again with --email and --password`);
    process.exitCode = 2;
  }
}
