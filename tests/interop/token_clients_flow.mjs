// Drives one of the node example clients (examples/clients/node) for test_node_token_clients.py, one command at a
// time, so the test can act on the server and its database between commands.
//
//   node --import ./pinned_packages.mjs token_clients_flow.mjs mobile|browser <base URL> <store file> [origin]
//
// stdin: one JSON command a line; stdout: one JSON answer a line, {ok, result, error, state, exchanges}, where
// `exchanges` are the HTTP requests the command made ({method, path, status}) and `state` the client's
// {signedIn, minted, jwt, clock}. Commands:
//   {"op": "signIn", "email", "password"}          {"op": "signOut"}
//   {"op": "api", "method", "path", "body"}        -> {status, body}    (client.api: JWT, one retry on 401)
//   {"op": "tasks"}                                -> titles            (client.tasks)
//   {"op": "clock", "at": <epoch seconds>|null}    the client's clock (null: the system clock)
//   {"op": "setJwt", "jwt"}                        the JWT the client believes it holds
//   {"op": "state"}
import { createInterface } from "node:readline";

const [kind, baseURL, store, origin = "http://localhost:3000"] = process.argv.slice(2);
const { MobileClient } = await import("../../examples/clients/node/mobile_client.mjs");
const { BrowserClient } = await import("../../examples/clients/node/browser_client.mjs");

let clockAt = null;
const exchanges = [];

async function recordingFetch(input, init = {}) {
  const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
  const response = await fetch(input, init);
  exchanges.push({ method: (init.method || "GET").toUpperCase(), path: url.pathname, status: response.status });
  return response;
}

const options = { baseURL, store, origin, now: () => clockAt ?? Date.now() / 1000, fetch: recordingFetch };
const client = kind === "mobile" ? new MobileClient(options) : new BrowserClient(options);

const commands = {
  signIn: ({ email, password }) => client.signIn(email, password),
  signOut: () => client.signOut(),
  async api({ method = "GET", path, body }) {
    const response = await client.api(path, { method, body });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  },
  tasks: async () => (await client.tasks()).map((task) => task.title),
  clock: ({ at }) => void (clockAt = at),
  setJwt: ({ jwt }) => void (client.jwt = jwt),
  state: () => null,
};

for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const { op, ...args } = JSON.parse(line);
  exchanges.length = 0;
  const answer = { op, ok: true, result: null, error: null };
  try {
    answer.result = (await commands[op](args)) ?? null;
  } catch (error) {
    answer.ok = false;
    answer.error = { name: error.name, message: error.message };
  }
  answer.state = { signedIn: client.signedIn, minted: client.minted, jwt: client.jwt, clock: clockAt };
  answer.exchanges = [...exchanges];
  console.log(JSON.stringify(answer));
}
