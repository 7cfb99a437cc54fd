// The whole journey of the todo frontend in headless Chromium (playwright-core, the system's chromium; no browser
// download). Driven by tests/browser/test_todo_web.py, or by hand against running servers:
//
//   WEB_URL=http://127.0.0.1:3000 API_URL=http://127.0.0.1:8000 OUTBOX=/tmp/outbox.jsonl node e2e/journey.mjs
//
// Env: WEB_URL, API_URL, OUTBOX (the backend's TODO_OUTBOX; without it sign-up signs in at once), JWT_LIFETIME
// (seconds, the backend's TODO_JWT_EXPIRES_IN: the journey waits it out mid-session), ADMIN (1: the user is in
// TODO_ADMIN_EMAILS), USER_EMAIL (default: a new address), OIDC_PROVIDER (the "sign in with" provider id, if any), OIDC_EMAIL (the provider's user),
// ARTIFACTS (screenshots; default ./e2e-artifacts), CHROMIUM (default /usr/bin/chromium).
// Prints one JSON object: {ok, durationMs, steps: [{name, ok, ms, error?}], consoleErrors, failedRequests, ...}.
import { mkdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const WEB = process.env.WEB_URL ?? "http://127.0.0.1:3000";
const API = process.env.API_URL ?? "http://127.0.0.1:8000";
const OUTBOX = process.env.OUTBOX || null;
const JWT_LIFETIME = Number(process.env.JWT_LIFETIME || 0);
const ADMIN = process.env.ADMIN === "1";
const OIDC_PROVIDER = process.env.OIDC_PROVIDER || null;
const OIDC_EMAIL = process.env.OIDC_EMAIL || "oidc-user@example.com";
const ARTIFACTS = process.env.ARTIFACTS ?? "e2e-artifacts";
const TIMEOUT = 15_000;

mkdirSync(ARTIFACTS, { recursive: true });
const started = Date.now();
const result = { ok: true, steps: [], consoleErrors: [], failedRequests: [], screenshots: [], jwt: {} };
const email = process.env.USER_EMAIL || `journey-${Date.now()}@example.com`;
const password = "Correct-Horse-9";

// Failures a step provokes on purpose (the error handler's demo); anything else is a finding.
let expected = null; // {url: substring, status}
function watch(page, tab) {
  if (process.env.DEBUG) {
    // DEBUG=1: every navigation and auth/API answer on stderr, to see where a journey went wrong.
    page.on("framenavigated", (f) => f === page.mainFrame() && console.error(`[${tab}] navigated ${f.url()}`));
    page.on("response", (r) => r.url().includes("/api/") && console.error(`[${tab}] ${r.status()} ${r.request().method()} ${r.url()}`));
  }
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    const text = msg.text();
    if (expected && /Failed to load resource/.test(text) && text.includes(String(expected.status))) return;
    result.consoleErrors.push({ tab, text, url: msg.location()?.url });
  });
  page.on("pageerror", (err) => result.consoleErrors.push({ tab, text: `pageerror: ${err.message}` }));
  page.on("requestfailed", (req) => {
    const failure = req.failure()?.errorText ?? "";
    // A navigation cancels the RSC prefetches still in flight: the browser's normal behaviour, not a failure.
    if (failure === "net::ERR_ABORTED" && (req.url().includes("_rsc=") || req.resourceType() === "document")) return;
    result.failedRequests.push({ tab, url: req.url(), method: req.method(), failure });
  });
  page.on("response", (res) => {
    if (res.status() < 400) return;
    if (expected && res.url().includes(expected.url) && res.status() === expected.status) {
      expected.seen = (expected.seen ?? 0) + 1;
      return;
    }
    result.failedRequests.push({ tab, url: res.url(), method: res.request().method(), status: res.status() });
  });
}

async function shot(page, name) {
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  result.screenshots.push(path);
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    result.steps.push({ name, ok: true, ms: Date.now() - t0 });
    return true;
  } catch (err) {
    result.ok = false;
    const where = page.isClosed() ? "" : ` (page at ${page.url()})`;
    result.steps.push({ name, ok: false, ms: Date.now() - t0, error: String(err?.stack ?? err).slice(0, 2000) + where });
    if (!page.isClosed()) await shot(page, `failed-${name.replace(/\W+/g, "-")}`).catch(() => {});
    return false;
  }
}

function mailTo(address, kind) {
  if (!existsSync(OUTBOX)) return null;
  const mails = readFileSync(OUTBOX, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line));
  return mails.reverse().find((m) => m.to === address && m.kind === kind) ?? null;
}

async function waitFor(predicate, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const taskTitles = async (page) => page.locator('[data-testid="task"] .title').allTextContents();
const refreshes = async (page) => Number(await page.getByTestId("jwt-stats").getAttribute("data-refreshes"));

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
const context = await browser.newContext({ viewport: { width: 900, height: 700 } });
context.setDefaultTimeout(TIMEOUT);
const page = await context.newPage();
watch(page, "main");
const bearers = []; // the Authorization headers the task API received, in order

page.on("request", (req) => {
  if (req.url().startsWith(`${API}/api/tasks`) && req.headers().authorization) bearers.push(req.headers().authorization);
});

try {
  await step("error handler: wrong password is a readable message", async () => {
    await page.goto(`${WEB}/sign-in`);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill("Wrong-password-1");
    expected = { url: "/api/auth/sign-in/email", status: 401 };
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByTestId("error").waitFor();
    const text = await page.getByTestId("error").innerText();
    check(text.includes("do not match an account"), `error text: ${text}`);
    check(expected.seen === 1, "the 401 was not seen");
    expected = null;
    await shot(page, "01-sign-in-error");
  });

  await step("sign-up shows the password rules as you type", async () => {
    await page.getByRole("link", { name: "Create an account" }).click();
    await page.waitForURL(`${WEB}/sign-up`);
    await page.getByLabel("Name").fill("Journey User");
    await page.getByLabel("Email").fill(email);
    const password_ = page.getByLabel("Password");
    const met = async () =>
      Object.fromEntries(
        await page.locator("[data-rule]").evaluateAll((els) => els.map((e) => [e.dataset.rule, e.dataset.met === "true"])),
      );
    await password_.pressSequentially("abc");
    let state = await met();
    check(!state.length && !state.upper && state.lower && !state.digit, `after "abc": ${JSON.stringify(state)}`);
    check(await page.getByRole("button", { name: "Sign up" }).isDisabled(), "sign-up enabled with a weak password");
    await shot(page, "02-sign-up-rules");
    await password_.fill("");
    await password_.pressSequentially(password);
    state = await met();
    check(Object.values(state).every(Boolean), `after a strong password: ${JSON.stringify(state)}`);
    await page.getByRole("button", { name: "Sign up" }).click();
    await page.waitForURL(OUTBOX ? /\/check-email/ : `${WEB}/tasks`);
    check((await page.getByTestId("error").count()) === 0, "the sign-in error is still shown on another page");
  });

  if (OUTBOX) {
    await step("email verification: the link from the outbox signs in", async () => {
      await page.getByTestId("check-email").waitFor();
      await shot(page, "03-check-email");
      const mail = await waitFor(() => mailTo(email, "verification"), 10_000, "the verification mail");
      await page.goto(mail.url);
      await page.waitForURL(`${WEB}/tasks`);
    });
  }

  await step("task list: create, complete, edit, delete, filter", async () => {
    await page.waitForURL(`${WEB}/tasks`);
    await page.getByTestId("user").getByText(email).waitFor();
    await page.getByTestId("empty").waitFor();
    for (const title of ["Buy milk", "Write report", "Walk the dog"]) {
      await page.getByLabel("New task").fill(title);
      await page.getByRole("button", { name: "Add" }).click();
      await page.locator(`[data-testid="task"][data-title="${title}"]`).waitFor();
    }
    // A controlled checkbox: it turns checked when the API has answered, so click, then wait for the result.
    await page.getByLabel("Complete Buy milk").click();
    await page.locator('[data-testid="task"][data-title="Buy milk"].done').waitFor();
    const report = page.locator('[data-testid="task"][data-title="Write report"]');
    await report.getByRole("button", { name: "Edit" }).click();
    await page.getByLabel("New title").fill("Write the report");
    await page.getByLabel("New title").press("Enter");
    await page.locator('[data-testid="task"][data-title="Write the report"]').waitFor();
    await page.getByLabel("Delete Walk the dog").click();
    await page.locator('[data-testid="task"][data-title="Walk the dog"]').waitFor({ state: "detached" });
    check(JSON.stringify(await taskTitles(page)) === '["Buy milk","Write the report"]', `all: ${await taskTitles(page)}`);
    await page.getByRole("button", { name: "completed" }).click();
    await waitFor(async () => JSON.stringify(await taskTitles(page)) === '["Buy milk"]', 5000, "the completed filter");
    await page.getByRole("button", { name: "pending" }).click();
    await waitFor(async () => JSON.stringify(await taskTitles(page)) === '["Write the report"]', 5000, "pending");
    await page.getByRole("button", { name: "all" }).click();
    await waitFor(async () => (await taskTitles(page)).length === 2, 5000, "all tasks");
    check(bearers.length > 0 && bearers.every((b) => /^Bearer eyJ/.test(b)), "task calls without a JWT");
    await shot(page, "04-tasks");
  });

  if (JWT_LIFETIME) {
    await step("the JWT expires mid-session and is refreshed silently", async () => {
      const before = await refreshes(page);
      const oldBearer = bearers.at(-1);
      // Wait the token's whole lifetime out (plus the API's 5 s clock-skew leeway): the next call must still work,
      // with a new JWT and no visible hiccup.
      const exp = JSON.parse(Buffer.from(oldBearer.split(".")[1], "base64url").toString()).exp;
      await page.waitForTimeout(Math.max(0, exp * 1000 + 6000 - Date.now()));
      const stale = await fetch(`${API}/api/tasks`, { headers: { Authorization: oldBearer } });
      check(stale.status === 401, `the old JWT still works after its lifetime (${stale.status})`);
      await page.getByLabel("New task").fill("After the JWT expired");
      await page.getByRole("button", { name: "Add" }).click();
      await page.locator('[data-testid="task"][data-title="After the JWT expired"]').waitFor();
      const after = await refreshes(page);
      check(after > before, `no JWT refresh (${before} -> ${after})`);
      check(bearers.at(-1) !== oldBearer, "the call after expiry reused the old JWT");
      check((await page.getByTestId("error").count()) === 0, "an error was shown");
      check(page.url() === `${WEB}/tasks`, `left the page: ${page.url()}`);
      result.jwt = { refreshesBefore: before, refreshesAfter: after, retries: Number(await page.getByTestId("jwt-stats").getAttribute("data-retries")) };
    });
  }

  await step("a 401 from the API is answered with a fresh JWT and one retry", async () => {
    // The API refusing a JWT the client still trusts (clock skew, a rotated key): here its next answer is a 401.
    const before = await refreshes(page);
    let refused = 0;
    await page.route(`${API}/api/tasks`, async (route) => {
      if (route.request().method() !== "POST" || refused++) return route.fallback();
      await route.fulfill({ status: 401, contentType: "application/json", body: '{"message":"Unauthorized","code":"UNAUTHORIZED"}' });
    });
    expected = { url: "/api/tasks", status: 401 };
    await page.getByLabel("New task").fill("After a refused JWT");
    await page.getByRole("button", { name: "Add" }).click();
    await page.locator('[data-testid="task"][data-title="After a refused JWT"]').waitFor();
    check(expected.seen === 1, `the refused call was not seen (${expected.seen})`);
    expected = null;
    await page.unroute(`${API}/api/tasks`);
    check(Number(await page.getByTestId("jwt-stats").getAttribute("data-retries")) >= 1, "no retry counted");
    check((await refreshes(page)) > before, "no new JWT after the 401");
    check((await page.getByTestId("error").count()) === 0, "an error was shown");
    await page.getByLabel("Delete After a refused JWT").click();
    await page.locator('[data-testid="task"][data-title="After a refused JWT"]').waitFor({ state: "detached" });
  });

  if (ADMIN) {
    await step("admin page lists users and all tasks", async () => {
      await page.getByRole("link", { name: "Admin" }).click();
      await page.waitForURL(`${WEB}/admin`);
      await page.getByTestId("users").getByText(email).waitFor();
      await page.getByTestId("all-tasks-count").getByText(/\d+ task\(s\)/).waitFor();
      await shot(page, "05-admin");
      await page.getByRole("link", { name: "Tasks" }).click();
      await page.waitForURL(`${WEB}/tasks`);
    });
  }

  await step("a second tab sees the sign-out", async () => {
    const tab = await context.newPage();
    watch(tab, "second");
    await tab.goto(`${WEB}/tasks`);
    await tab.locator('[data-testid="task"]').first().waitFor();
    await page.bringToFront();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${WEB}/sign-in`);
    // No reload, no focus: Better Auth's client tells the other tabs (localStorage event), they refetch the session.
    await tab.waitForURL(`${WEB}/sign-in`, { timeout: 10_000 });
    await shot(tab, "06-second-tab-signed-out");
    await tab.close();
  });

  await step("sign in again: the tasks are still there", async () => {
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.waitForURL(`${WEB}/tasks`);
    await waitFor(async () => (await taskTitles(page)).includes("Write the report"), 5000, "the tasks");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${WEB}/sign-in`);
  });

  if (OIDC_PROVIDER) {
    await step("sign in with the OpenID Connect provider (round trip)", async () => {
      await page.getByRole("button", { name: `Sign in with ${OIDC_PROVIDER}` }).click();
      await page.waitForURL(`${WEB}/tasks`);
      await page.getByTestId("user").getByText(OIDC_EMAIL).waitFor();
      await page.getByTestId("empty").waitFor();
      await shot(page, "07-social-signed-in");
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.waitForURL(`${WEB}/sign-in`);
    });
  }
} finally {
  await browser.close();
}

if (result.consoleErrors.length || result.failedRequests.length) result.ok = false;
result.durationMs = Date.now() - started;
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(result.ok ? 0 : 1);
