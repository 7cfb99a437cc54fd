// A real Better Auth 1.7.24 server (the reference implementation) for the interop tests.
//
//   PORT=3050 DATABASE_URL=postgresql://postgres@127.0.0.1:5432/db BETTER_AUTH_SECRET=... \
//   (or DATABASE_URL=sqlite:///abs/path.db, with the optional dependency better-sqlite3)
//   BETTER_AUTH_URL=http://127.0.0.1:3050 [PLUGINS=bearer,jwt,admin] [MIGRATE=1] [AUTH_OPTIONS_JSON={...}] \
//   [REDIS_URL=redis://127.0.0.1:6379/0 REDIS_PREFIX=better-auth:] node ts_server.mjs
//
// * REDIS_URL: secondaryStorage is the official @better-auth/redis-storage on that Redis (ioredis),
//   with keyPrefix REDIS_PREFIX (the package's default "better-auth:" when unset).
// * OIDC_DISCOVERY_URL: a generic OpenID Connect provider through Better Auth's own plugin,
//   genericOAuth({config: [{providerId: OIDC_PROVIDER_ID || "local", discoveryUrl, clientId: OIDC_CLIENT_ID,
//   clientSecret: OIDC_CLIENT_SECRET, scopes: OIDC_SCOPES split on ","}]}) (pyserver.py reads the same variables).
//   Discovery runs when the server starts, so the provider must already be listening.
//
// * It never creates tables unless MIGRATE=1, in which case Better Auth's own migration generator
//   (`getMigrations` from better-auth/db/migration) creates them before the server listens.
// * The origin check and the CSRF check stay ON: NODE_ENV=test / TEST would turn them off, so they are
//   removed from the environment before Better Auth is loaded. NODE_ENV is left unset (neither production nor
//   development: no rate limiter, no 127.0.0.1 IP fallback), as in the protocol observations. TS_NODE_ENV may
//   set it explicitly (e.g. "production").
// * Prints `READY <origin>` on stdout once it accepts connections.
import http from "node:http";

if (process.env.TS_NODE_ENV) process.env.NODE_ENV = process.env.TS_NODE_ENV;
else delete process.env.NODE_ENV;
delete process.env.TEST;
process.env.BETTER_AUTH_TELEMETRY = "0";

const required = (name) => {
  const value = process.env[name];
  if (!value) {
    console.error(`ts_server: ${name} is required`);
    process.exit(2);
  }
  return value;
};

const port = Number(required("PORT"));
const host = process.env.HOST || "127.0.0.1";
const databaseUrl = required("DATABASE_URL");
const secret = required("BETTER_AUTH_SECRET");
const baseURL = required("BETTER_AUTH_URL");
const pluginNames = (process.env.PLUGINS || "")
  .split(",")
  .map((s) => s.trim())
  .filter(Boolean);

// Loaded only now, after the environment is settled (Better Auth reads NODE_ENV when its modules load).
const { default: pg } = await import("pg");
const { betterAuth } = await import("better-auth");
const { toNodeHandler } = await import("better-auth/node");
const { getMigrations } = await import("better-auth/db/migration");

const pluginFactories = {
  bearer: async () => (await import("better-auth/plugins/bearer")).bearer(),
  // TS_JWT_OPTIONS_JSON: the jwt plugin's options, e.g. {"jwks":{"rotationInterval":4,"gracePeriod":8}}.
  jwt: async () => (await import("better-auth/plugins/jwt")).jwt(JSON.parse(process.env.TS_JWT_OPTIONS_JSON || "{}")),
  admin: async () => (await import("better-auth/plugins/admin")).admin(),
};
const plugins = [];
for (const name of pluginNames) {
  if (!(name in pluginFactories)) {
    console.error(`ts_server: unknown plugin ${name} (known: ${Object.keys(pluginFactories).join(", ")})`);
    process.exit(2);
  }
  plugins.push(await pluginFactories[name]());
}
if (process.env.OIDC_DISCOVERY_URL) {
  const { genericOAuth } = await import("better-auth/plugins");
  const scopes = (process.env.OIDC_SCOPES || "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  plugins.push(
    genericOAuth({
      config: [
        {
          providerId: process.env.OIDC_PROVIDER_ID || "local",
          discoveryUrl: process.env.OIDC_DISCOVERY_URL,
          clientId: required("OIDC_CLIENT_ID"),
          clientSecret: process.env.OIDC_CLIENT_SECRET || undefined,
          scopes,
        },
      ],
    }),
  );
}

// DATABASE_URL: postgresql://… (pg Pool) or sqlite:///<absolute path> (better-sqlite3, an optional dependency).
let database;
let closeDatabase;
if (databaseUrl.startsWith("sqlite:")) {
  const path = databaseUrl.replace(/^sqlite:\/\//, "");
  let Database;
  try {
    ({ default: Database } = await import("better-sqlite3"));
  } catch (err) {
    console.error(`ts_server: better-sqlite3 is not available (${err.message})`);
    process.exit(3);
  }
  database = new Database(path, { timeout: 10000 });
  closeDatabase = async () => database.close();
} else {
  database = new pg.Pool({ connectionString: databaseUrl, max: 5 });
  closeDatabase = () => database.end();
}
const options = {
  database,
  secret,
  baseURL,
  emailAndPassword: { enabled: true },
  trustedOrigins: ["http://localhost:3000"],
  telemetry: { enabled: false },
  plugins,
};
// MAIL_LOG=<file>: mails are appended to that file as JSON lines (instead of being sent):
// {"kind": "verification" | "reset-password" | "delete-account", "email", "to", "url", "token"}.
// AUTH_OPTIONS_JSON {"user":{"changeEmail":{"enabled":true}}} etc. switches the account flows on.
let mailLog = null;
if (process.env.MAIL_LOG) {
  const { appendFileSync } = await import("node:fs");
  mailLog = (kind) => async ({ user, url, token, newEmail }) => {
    appendFileSync(process.env.MAIL_LOG, JSON.stringify({ kind, email: user.email, to: user.email, url, token, newEmail }) + "\n");
  };
  options.emailAndPassword.sendResetPassword = mailLog("reset-password");
  options.emailVerification = { sendVerificationEmail: mailLog("verification") };
}

// AUTH_OPTIONS_JSON: extra betterAuth options, deep-merged (e.g. {"session":{"cookieCache":{"enabled":true}}}).
const isObject = (v) => v && typeof v === "object" && !Array.isArray(v);
const deepMerge = (base, extra) => {
  for (const [k, v] of Object.entries(extra)) base[k] = isObject(v) && isObject(base[k]) ? deepMerge({ ...base[k] }, v) : v;
  return base;
};
if (process.env.AUTH_OPTIONS_JSON) deepMerge(options, JSON.parse(process.env.AUTH_OPTIONS_JSON));
// Callbacks cannot travel in JSON: `true` in these places means "log to MAIL_LOG".
if (mailLog && options.user?.deleteUser?.sendDeleteAccountVerification === true)
  options.user.deleteUser.sendDeleteAccountVerification = mailLog("delete-account");
if (mailLog && options.user?.changeEmail?.sendChangeEmailConfirmation === true)
  options.user.changeEmail.sendChangeEmailConfirmation = mailLog("change-email-confirmation");
let closeRedis = async () => {};
if (process.env.REDIS_URL) {
  const { Redis } = await import("ioredis");
  const { redisStorage } = await import("@better-auth/redis-storage");
  const redis = new Redis(process.env.REDIS_URL);
  options.secondaryStorage = redisStorage({ client: redis, keyPrefix: process.env.REDIS_PREFIX || "better-auth:" });
  closeRedis = () => redis.quit();
}
const auth = betterAuth(options);

if (process.env.MIGRATE === "1") {
  const { toBeCreated, toBeAdded, runMigrations } = await getMigrations(options);
  await runMigrations();
  console.error(
    `ts_server: migrated (created ${toBeCreated.map((t) => t.table).join(", ") || "nothing"}; ` +
      `added columns to ${toBeAdded.map((t) => t.table).join(", ") || "nothing"})`,
  );
}

const handler = toNodeHandler(auth);
const server = http.createServer((req, res) => {
  if (req.url && req.url.startsWith("/api/auth")) return handler(req, res);
  res.statusCode = 404;
  res.end();
});

const shutdown = () => {
  server.close();
  Promise.all([closeDatabase(), closeRedis()]).finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);

server.listen(port, host, () => {
  const oidc = process.env.OIDC_DISCOVERY_URL ? ` oidc=${process.env.OIDC_PROVIDER_ID || "local"}` : "";
  console.log(`READY http://${host}:${port} plugins=${pluginNames.join(",") || "none"}${oidc}`);
});
