// Drives the OFFICIAL Better Auth client through the account-lifecycle flows against a server whose mails are
// written to the JSON-lines file MAIL_LOG (Python: FileOutboxSender; TS: ts_server.mjs MAIL_LOG), reading each
// link from that file the way a user reads their mail:
// send-verification-email -> verify-email, request-password-reset -> reset-password (and its replay),
// change-password (wrong current password, then revokeOtherSessions), change-email -> verify-email, delete-user.
//
//   MAIL_LOG=/tmp/mail.jsonl node account_flow.mjs http://127.0.0.1:8000
//
// Output: one JSON line per step, as client_flow.mjs (flow_lib.mjs createRunner).
import { existsSync, readFileSync } from "node:fs";

import { Device, ID32, baseUrlFromArgs, createRunner, expectError, summarize } from "./flow_lib.mjs";

const BASE_URL = baseUrlFromArgs();
const MAIL_LOG = process.env.MAIL_LOG;
if (!MAIL_LOG) {
  console.error("account_flow.mjs: MAIL_LOG is required");
  process.exit(2);
}
const run = createRunner();
const step = run.step;
const state = {};

const suffix = Math.random().toString(36).slice(2, 10);
const email = `carol.${suffix}@example.com`;
const newEmail = `carol.new.${suffix}@example.com`;
const PASSWORD = "correct horse battery staple";
const RESET_PASSWORD = "reset horse battery staple";
const CHANGED_PASSWORD = "changed horse battery staple";
const A = new Device("A", BASE_URL);
const B = new Device("B", BASE_URL);
const C = new Device("C", BASE_URL);

/** The newest mail to `to` whose kind is one of `kinds`, waiting up to 10 s for it to arrive. */
async function mailTo(to, kinds, after = 0) {
  const deadline = Date.now() + 10000;
  for (;;) {
    const lines = existsSync(MAIL_LOG) ? readFileSync(MAIL_LOG, "utf8").split("\n").filter(Boolean) : [];
    const mails = lines.map((l) => JSON.parse(l)).slice(after);
    const found = mails.filter((m) => (m.to || m.email) === to && kinds.includes(m.kind)).pop();
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no ${kinds.join("/")} mail to ${to} in ${MAIL_LOG}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function mailCount() {
  return existsSync(MAIL_LOG) ? readFileSync(MAIL_LOG, "utf8").split("\n").filter(Boolean).length : 0;
}

async function main() {
  let ok = await step("sign-up", [A], async (expect) => {
    const res = await A.client.signUp.email({ email, password: PASSWORD, name: "Carol" });
    expect(res.error === null, `error ${JSON.stringify(res.error)}`);
    state.userId = res.data && res.data.user && res.data.user.id;
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("send-verification-email", [A], async (expect) => {
    state.mark = mailCount();
    const res = await A.client.sendVerificationEmail({ email, callbackURL: "/verified" });
    expect(res.error === null && res.data && res.data.status === true, `answer ${JSON.stringify(summarize(res))}`);
    const mail = await mailTo(email, ["verification"], state.mark);
    expect(mail.url.includes("/api/auth/verify-email?token=") && mail.url.endsWith("&callbackURL=%2Fverified"), `url ${mail.url}`);
    state.verifyToken = mail.token;
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("verify-email", [A], async (expect) => {
    const res = await A.client.verifyEmail({ query: { token: state.verifyToken } });
    expect(res.error === null && res.data && res.data.status === true && res.data.user === null, `answer ${JSON.stringify(summarize(res))}`);
    const session = await A.client.getSession();
    expect(session.data && session.data.user.emailVerified === true, `emailVerified ${JSON.stringify(session.data && session.data.user)}`);
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("second device signs in", [B], async (expect) => {
    const res = await B.client.signIn.email({ email, password: PASSWORD });
    expect(res.error === null, `error ${JSON.stringify(res.error)}`);
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("request-password-reset", [C], async (expect) => {
    const mark = mailCount();
    const res = await C.client.requestPasswordReset({ email, redirectTo: "http://localhost:3000/reset" });
    expect(res.error === null && res.data && res.data.status === true, `answer ${JSON.stringify(summarize(res))}`);
    expect(
      res.data && res.data.message === "If this email exists in our system, check your email for the reset link",
      `message ${res.data && res.data.message}`,
    );
    const unknown = await C.client.requestPasswordReset({ email: `nobody.${suffix}@example.com` });
    expect(JSON.stringify(unknown.data) === JSON.stringify(res.data), `unknown email answered ${JSON.stringify(summarize(unknown))}`);
    const mail = await mailTo(email, ["reset-password"], mark);
    expect(/^[A-Za-z0-9]{24}$/.test(mail.token), `reset token ${mail.token}`);
    expect(mail.url.endsWith(`/reset-password/${mail.token}?callbackURL=http%3A%2F%2Flocalhost%3A3000%2Freset`), `url ${mail.url}`);
    state.resetToken = mail.token;
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("reset-password", [C], async (expect) => {
    const res = await C.client.resetPassword({ newPassword: RESET_PASSWORD, token: state.resetToken });
    expect(res.error === null && res.data && res.data.status === true, `answer ${JSON.stringify(summarize(res))}`);
    const replay = await C.client.resetPassword({ newPassword: "yet another password", token: state.resetToken });
    expectError(expect, replay, 400, "INVALID_TOKEN", "Invalid token");
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("sign-in with the reset password", [C], async (expect) => {
    const old = await C.client.signIn.email({ email, password: PASSWORD });
    expectError(expect, old, 401, "INVALID_EMAIL_OR_PASSWORD");
    const res = await C.client.signIn.email({ email, password: RESET_PASSWORD });
    expect(res.error === null && res.data && ID32.test(res.data.token), `answer ${JSON.stringify(summarize(res))}`);
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("change-password with a wrong current password", [A], async (expect) => {
    const res = await A.client.changePassword({ currentPassword: "not my password", newPassword: CHANGED_PASSWORD });
    expectError(expect, res, 400, "INVALID_PASSWORD", "Invalid password");
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("change-password revoking other sessions", [A, B, C], async (expect) => {
    const before = (await A.client.getSession()).data;
    const res = await A.client.changePassword({
      currentPassword: RESET_PASSWORD,
      newPassword: CHANGED_PASSWORD,
      revokeOtherSessions: true,
    });
    expect(res.error === null && res.data && ID32.test(res.data.token), `answer ${JSON.stringify(summarize(res))}`);
    expect(res.data && before && res.data.token !== before.session.token, "the session token did not change");
    expect(res.data && res.data.user && res.data.user.email === email, "user missing from the answer");
    const mine = await A.client.getSession();
    expect(mine.data && res.data && mine.data.session.token === res.data.token, `A now has ${JSON.stringify(mine.data && mine.data.session)}`);
    expect((await B.client.getSession()).data === null, "B's session survived revokeOtherSessions");
    expect((await C.client.getSession()).data === null, "C's session survived revokeOtherSessions");
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("change-email", [A], async (expect) => {
    const mark = mailCount();
    const res = await A.client.changeEmail({ newEmail, callbackURL: "/changed" });
    expect(res.error === null && res.data && res.data.status === true, `answer ${JSON.stringify(summarize(res))}`);
    const mail = await mailTo(newEmail, ["verification", "change-email-verification"], mark);
    state.changeToken = mail.token;
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("verify the new email", [A], async (expect) => {
    const res = await A.client.verifyEmail({ query: { token: state.changeToken } });
    expect(res.error === null && res.data && res.data.status === true, `answer ${JSON.stringify(summarize(res))}`);
    expect(res.data && res.data.user && res.data.user.email === newEmail, `user ${JSON.stringify(res.data && res.data.user)}`);
    const session = await A.client.getSession();
    expect(session.data && session.data.user.email === newEmail, `session user ${JSON.stringify(session.data && session.data.user)}`);
    expect(session.data && session.data.user.emailVerified === true, "a verified user stays verified after an email change");
    return summarize(res);
  });
  if (!ok) return;

  ok = await step("delete-user with the password", [A], async (expect) => {
    const wrong = await A.client.deleteUser({ password: "not my password" });
    expectError(expect, wrong, 400, "INVALID_PASSWORD");
    const res = await A.client.deleteUser({ password: CHANGED_PASSWORD });
    expect(res.error === null && res.data && res.data.success === true && res.data.message === "User deleted", `answer ${JSON.stringify(summarize(res))}`);
    expect((await A.client.getSession()).data === null, "still signed in after delete-user");
    const again = await A.client.signIn.email({ email: newEmail, password: CHANGED_PASSWORD });
    expectError(expect, again, 401, "INVALID_EMAIL_OR_PASSWORD");
    return summarize(res);
  });
  if (!ok) return;
  run.done();
}

main().catch((err) => {
  console.log(JSON.stringify({ step: "crashed", ok: false, problems: [String(err && err.stack ? err.stack : err)] }));
  process.exitCode = 1;
});
