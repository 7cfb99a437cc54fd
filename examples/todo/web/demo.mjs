// One command for a person to click through: the FastAPI backend (SQLite) on http://localhost:8000 and the built
// frontend on http://localhost:3000, with email verification through a dev outbox, the password rules and a
// short-lived JWT. `npm run demo` (builds first when there is no build; `npm run demo -- --build` rebuilds).
//
// Env: PYTHON (default python3, with fastapi-betterauth and uvicorn installed), API_PORT (8000), WEB_PORT (3000),
// TODO_ADMIN_EMAILS (addresses that become admins once verified), OIDC_DISCOVERY_URL/OIDC_CLIENT_ID/
// OIDC_CLIENT_SECRET (a "sign in with" provider, shown as OIDC_PROVIDER_ID, default "local").
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, watchFile } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const web = dirname(fileURLToPath(import.meta.url));
const repo = resolve(web, "../../..");
const state = join(web, ".demo");
const apiPort = process.env.API_PORT ?? "8000";
const webPort = process.env.WEB_PORT ?? "3000";
const apiUrl = `http://localhost:${apiPort}`;
const webUrl = `http://localhost:${webPort}`;
const outbox = join(state, "outbox.jsonl");
mkdirSync(state, { recursive: true });

if (process.argv.includes("--build") || !existsSync(join(web, ".next", "BUILD_ID"))) {
  const build = spawnSync(process.execPath, [join(web, "node_modules/next/dist/bin/next"), "build"], {
    cwd: web,
    stdio: "inherit",
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
  });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const children = [
  spawn(
    process.env.PYTHON ?? "python3",
    ["-m", "uvicorn", "examples.todo.app.main:app", "--host", "localhost", "--port", apiPort],
    {
      cwd: repo,
      stdio: "inherit",
      env: {
        DATABASE_URL: `sqlite+aiosqlite:///${join(state, "todo.db")}`,
        BETTER_AUTH_URL: apiUrl,
        BETTER_AUTH_TRUSTED_ORIGINS: webUrl,
        TODO_OUTBOX: outbox,
        TODO_PASSWORD_RULES: "1",
        TODO_JWT_EXPIRES_IN: "60",
        ...process.env,
      },
    },
  ),
  spawn(process.execPath, [join(web, "node_modules/next/dist/bin/next"), "start", "-H", "localhost", "-p", webPort], {
    cwd: web,
    stdio: "inherit",
    env: {
      NEXT_TELEMETRY_DISABLED: "1",
      TODO_API_URL: apiUrl,
      TODO_OIDC_PROVIDER: process.env.OIDC_DISCOVERY_URL ? (process.env.OIDC_PROVIDER_ID ?? "local") : "",
      ...process.env,
    },
  }),
];

// The dev outbox: print each verification link as it is "sent".
let printed = 0;
watchFile(outbox, { interval: 500 }, () => {
  const mails = existsSync(outbox) ? readFileSync(outbox, "utf8").split("\n").filter(Boolean) : [];
  for (const line of mails.slice(printed)) {
    const mail = JSON.parse(line);
    console.log(`\n✉  ${mail.kind} mail to ${mail.to}: ${mail.url}\n`);
  }
  printed = mails.length;
});

console.log(`\nTodo: open ${webUrl} (API ${apiUrl}; data and mails in ${state}). Ctrl-C stops both.\n`);
const stop = () => {
  for (const child of children) child.kill("SIGTERM");
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
for (const child of children) child.on("exit", (code) => code && code !== 0 && stop());
