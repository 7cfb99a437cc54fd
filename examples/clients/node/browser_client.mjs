// A browser-style client of the todo API with the official Better Auth client, run in node (docs/modes/tokens.md).
//
// The refresh credential is the session cookie, kept in a small cookie jar (what a browser does for the auth
// origin; here a 0600 file, so the "browser" stays signed in across restarts). Every auth call carries the
// jar's cookies and the frontend's Origin, which the server must list in its trusted origins. The access
// credential is the JWT the jwt plugin puts in the `set-auth-jwt` header of `getSession()`, refreshed a minute
// before it expires or when the API answers 401; `getSession()` answering no session means SignInRequired.
//
//   node browser_client.mjs --base http://localhost:8000 --origin http://localhost:3000 --email ... --password ...
import { homedir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

import { createAuthClient } from "better-auth/client";

import { ApiClient, PrivateFile, SignInRequired, main } from "./common.mjs";

export { SignInRequired } from "./common.mjs";

/** Cookies by name, persisted as JSON in a 0600 file (no domains or paths: one auth origin). */
class CookieJar {
  constructor(path) {
    this.file = new PrivateFile(path);
    this.cookies = new Map(Object.entries(JSON.parse(this.file.read() ?? "{}")));
  }

  header() {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  /** Take the response's `set-cookie` headers (an empty value or Max-Age=0 deletes the cookie). */
  update(response) {
    const before = this.header();
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(";").map((part) => part.trim());
      const name = pair.slice(0, pair.indexOf("="));
      const value = pair.slice(pair.indexOf("=") + 1);
      if (value === "" || attributes.some((a) => a.toLowerCase() === "max-age=0")) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    if (this.header() !== before) this.save();
  }

  save() {
    if (this.cookies.size) this.file.write(JSON.stringify(Object.fromEntries(this.cookies)));
    else this.file.remove();
  }

  clear() {
    this.cookies.clear();
    this.save();
  }
}

export class BrowserClient extends ApiClient {
  /** `store`: the cookie jar's file; `origin`: the frontend's origin. Other options: see ApiClient. */
  constructor({ store, origin = "http://localhost:3000", ...options }) {
    super(options);
    this.jar = new CookieJar(store);
    this.origin = origin;
    this.auth = createAuthClient({
      baseURL: this.baseURL,
      fetchOptions: { customFetchImpl: (input, init) => this.#browserFetch(input, init) },
    });
  }

  /** What the browser adds to a credentialed cross-origin fetch: its cookies and its Origin. */
  async #browserFetch(input, init = {}) {
    const headers = new Headers(init.headers);
    headers.set("origin", this.origin);
    if (this.jar.cookies.size) headers.set("cookie", this.jar.header());
    const response = await this.fetch(input, { ...init, headers });
    this.jar.update(response);
    return response;
  }

  /** Whether the jar holds cookies (the server may still have ended that session since). */
  get signedIn() {
    return this.jar.cookies.size > 0;
  }

  async signIn(email, password) {
    const { error } = await this.auth.signIn.email({ email, password });
    if (error) throw new Error(`sign-in failed: ${error.status} ${error.message}`);
    this.jwt = null;
  }

  async mint() {
    if (!this.signedIn) throw new SignInRequired("not signed in");
    let jwt = null;
    const { data, error } = await this.auth.getSession({
      fetchOptions: { onSuccess: (ctx) => void (jwt = ctx.response.headers.get("set-auth-jwt")) },
    });
    if (error?.status === 401 || (!error && !data)) {
      this.#forget();
      throw new SignInRequired("the session has ended");
    }
    if (error) throw new Error(`get-session failed: ${error.status} ${error.message}`);
    if (!jwt) throw new Error("get-session sent no set-auth-jwt header: is the server's jwt plugin on?");
    return jwt;
  }

  /** End the session on the server (which deletes the cookies) and forget it here. */
  async signOut() {
    if (this.signedIn) await this.auth.signOut();
    this.#forget();
  }

  #forget() {
    this.jwt = null;
    this.jar.clear();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(({ base, store, origin }) => new BrowserClient({ baseURL: base, store, origin }), {
    defaultStore: join(homedir(), ".config", "todo-client", "cookies.json"),
  });
}
