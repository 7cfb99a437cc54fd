// A mobile/CLI client of the todo API with the official Better Auth client (docs/modes/tokens.md).
//
// The refresh credential is the session token the bearer plugin sends in `set-auth-token`: kept in a 0600 file,
// so the user stays signed in across restarts, and sent as `Authorization: Bearer <session token>`. The access
// credential is a JWT from `authClient.token()` (the jwt plugin's GET /api/auth/token), minted again a minute
// before it expires or when the API answers 401. When /token itself answers 401 the session is over (expired,
// signed out elsewhere, revoked): SignInRequired.
//
// Sign-in carries an Origin the server trusts (`--origin`, default the todo example's http://localhost:3000): node's
// fetch sends `Sec-Fetch-Mode: cors`, and Better Auth's CSRF check then wants an Origin on sign-in, as from a browser.
// A real app lists its own origin (e.g. `myapp://`) in the server's trusted origins. No other call needs it: they
// carry no cookies.
//
//   node mobile_client.mjs --base http://localhost:8000 --email ada@example.com --password '...'   # sign in, list
//   node mobile_client.mjs --base http://localhost:8000                                              # still signed in
//   node mobile_client.mjs --base http://localhost:8000 --sign-out
import { homedir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

import { createAuthClient } from "better-auth/client";
import { jwtClient } from "better-auth/client/plugins";

import { ApiClient, PrivateFile, SignInRequired, main } from "./common.mjs";

export { SignInRequired } from "./common.mjs";

export class MobileClient extends ApiClient {
  /**
   * `store`: the session token's file; `origin`: the Origin sign-in sends. Other options: see ApiClient (`baseURL`,
   * `now`, `refreshBefore`, `fetch`).
   */
  constructor({ store, origin = "http://localhost:3000", ...options }) {
    super(options);
    this.store = new PrivateFile(store);
    this.origin = origin;
    this.sessionToken = this.store.read();
    this.auth = createAuthClient({
      baseURL: this.baseURL,
      plugins: [jwtClient()],
      fetchOptions: {
        // The refresh credential on every auth call; a function, so it is read when the request is made.
        auth: { type: "Bearer", token: () => this.sessionToken ?? undefined },
        customFetchImpl: (input, init) => this.fetch(input, init),
      },
    });
  }

  /** Whether a session token is stored (the server may still have ended that session since). */
  get signedIn() {
    return this.sessionToken !== null;
  }

  async signIn(email, password) {
    let token = null;
    const { error } = await this.auth.signIn.email(
      { email, password },
      { headers: { origin: this.origin }, onSuccess: (ctx) => void (token = ctx.response.headers.get("set-auth-token")) },
    );
    if (error) throw new Error(`sign-in failed: ${error.status} ${error.message}`);
    if (!token) throw new Error("no set-auth-token header: is the server's bearer plugin on?");
    this.sessionToken = token;
    this.store.write(token);
    this.jwt = null;
  }

  async mint() {
    if (this.sessionToken === null) throw new SignInRequired("not signed in");
    const { data, error } = await this.auth.token();
    if (error?.status === 401) {
      this.#forget();
      throw new SignInRequired("the session has ended");
    }
    if (error) throw new Error(`GET /token failed: ${error.status} ${error.message}`);
    return data.token;
  }

  /** End the session on the server and forget the stored token. */
  async signOut() {
    if (this.sessionToken !== null) await this.auth.signOut();
    this.#forget();
  }

  #forget() {
    this.sessionToken = null;
    this.jwt = null;
    this.store.remove();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(({ base, store, origin }) => new MobileClient({ baseURL: base, store, origin }), {
    defaultStore: join(homedir(), ".config", "todo-client", "session-token"),
  });
}
