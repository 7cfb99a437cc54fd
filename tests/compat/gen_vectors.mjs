// Known-answer vectors from the REAL npm packages (better-auth 1.7.24 and its pinned deps).
//
//   cd tests/interop && npm ci && node ../compat/gen_vectors.mjs      # writes tests/compat/vectors.json
//
// Nothing here re-implements Better Auth: every value comes from a function exported by the installed
// packages (better-auth/crypto, better-auth/api, better-call, @better-auth/core, the jwt plugin). The only
// interference is a fixed clock (Date.now) around the JWT calls so that iat/exp are reproducible.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const interopDir = join(here, "..", "interop");
// Bare specifiers must resolve from tests/interop/node_modules, whatever the cwd.
const { load } = await import(new URL("../interop/resolve.mjs", import.meta.url));

const crypto = await load("better-auth/crypto");
const { createEmailVerificationToken } = await load("better-auth/api");
const { serializeSignedCookie } = await load("better-call");
const { generateId } = await load("@better-auth/core/utils/id");
const { betterAuth } = await load("better-auth");
const { memoryAdapter } = await load("better-auth/adapters/memory");
const { jwt } = await load("better-auth/plugins/jwt");

const version = (name) =>
  JSON.parse(readFileSync(join(interopDir, "node_modules", ...name.split("/"), "package.json"), "utf8")).version;

const SECRET = "test-secret-0123456789abcdef0123456789abcdef";

async function withClock(ms, fn) {
  // jose reads the clock with `new Date()`, better-auth with `Date.now()`: fix both.
  const RealDate = globalThis.Date;
  class FixedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(ms);
      else super(...args);
    }
    static now() {
      return ms;
    }
  }
  globalThis.Date = FixedDate;
  try {
    return await fn();
  } finally {
    globalThis.Date = RealDate;
  }
}

function b64urlJson(part) {
  return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
}

// ---------------------------------------------------------------- scrypt passwords (§5)
const passwords = [
  "password123",
  "correct horse battery staple",
  "ｐａｓｓｗｏｒｄ１２３", // fullwidth: NFKC -> "password123"
  "pässwörd-é", // precomposed
  "pa\u0301sswörd", // combining acute (NFKC composes it)
  "ﬁnal-ligature", // U+FB01: NFKC -> "fi"
  "🔐emoji-password🙂",
  "x".repeat(128),
  "Ab1!".repeat(32),
  " leading and trailing spaces ",
  "",
];
const passwordVectors = [];
for (const password of passwords) {
  const hash = await crypto.hashPassword(password);
  const verify = await crypto.verifyPassword({ hash, password });
  const wrongPassword = password + "x";
  const verifyWrong = await crypto.verifyPassword({ hash, password: wrongPassword });
  const nfkc = password.normalize("NFKC");
  const verifyNfkc = await crypto.verifyPassword({ hash, password: nfkc });
  passwordVectors.push({
    password,
    password_nfkc: nfkc,
    js_length: password.length,
    hash,
    verify,
    verify_nfkc_form: verifyNfkc,
    wrong_password: wrongPassword,
    verify_wrong: verifyWrong,
  });
}
// Same password hashed twice: random salts, so different hashes that both verify.
const again = await crypto.hashPassword("password123");
passwordVectors.push({
  password: "password123",
  password_nfkc: "password123",
  js_length: 11,
  hash: again,
  verify: await crypto.verifyPassword({ hash: again, password: "password123" }),
  verify_nfkc_form: true,
  wrong_password: "Password123",
  verify_wrong: await crypto.verifyPassword({ hash: again, password: "Password123" }),
});

// ---------------------------------------------------------------- signed cookies (§3.3)
const cookieCases = [
  { name: "better-auth.session_token", value: "fPCeH9ckxwLLlTouztnL5CXkOXljwg0y", secret: SECRET },
  { name: "better-auth.session_token", value: generateId(32), secret: SECRET },
  { name: "better-auth.session_token", value: generateId(32), secret: "another-secret-with-32-characters!!" },
  { name: "better-auth.dont_remember", value: "true", secret: SECRET },
  { name: "better-auth.state", value: generateId(32), secret: SECRET },
  { name: "better-auth.admin_session", value: `${generateId(32)}:`, secret: SECRET },
  { name: "better-auth.admin_session", value: `${generateId(32)}:true.abc+/=`, secret: SECRET },
  { name: "better-auth.session_token", value: "value with spaces;and=specials/+?&é", secret: SECRET },
  { name: "better-auth.session_token", value: "dotted.value.x", secret: "sécret-ünïcode-🔑-0123456789abcdef" },
  { name: "better-auth.session_token", value: "", secret: SECRET },
];
const cookieVectors = [];
for (const c of cookieCases) {
  const options = { maxAge: 604800, path: "/", httpOnly: true, sameSite: "lax" };
  const setCookie = await serializeSignedCookie(c.name, c.value, c.secret, options);
  const encoded = setCookie.slice(c.name.length + 1).split(";")[0];
  const raw = decodeURIComponent(encoded);
  const signature = raw.slice(raw.lastIndexOf(".") + 1);
  // better-auth/crypto's makeSignature is the same HMAC (used for the bearer plugin); record it as a cross-check.
  const signatureAuthCrypto = await crypto.makeSignature(c.value, c.secret);
  if (signature !== signatureAuthCrypto) throw new Error("better-call and better-auth signatures differ");
  cookieVectors.push({
    cookie_name: c.name,
    value: c.value,
    secret: c.secret,
    signature,
    signed_value: raw,
    cookie_value: encoded,
    set_cookie: setCookie,
  });
}

// ---------------------------------------------------------------- email verification JWT (§7.1)
const jwtVectors = [];
const jwtCases = [
  { now: 1795338153000, email: "Alice@Example.com", updateTo: undefined, expiresIn: 3600,
    extra: { userId: "ZR2TnkzcBUfVEP3nb6a9B2A2uyjpH5Oo" }, secret: SECRET, kind: "verify-email" },
  { now: 1795338153000, email: "bob@example.com", updateTo: "Bob.New@Example.com", expiresIn: 3600,
    extra: { userId: "VFuy4Zd15DSztkjd6MvxVGA4QoPd5uTQ", requestType: "change-email-verification" },
    secret: SECRET, kind: "change-email-verification" },
  { now: 1700000000000, email: "carol@example.com", updateTo: undefined, expiresIn: 600,
    extra: { userId: "cccccccccccccccccccccccccccccccc" }, secret: "another-secret-with-32-characters!!",
    kind: "verify-email-custom-expiry" },
];
for (const j of jwtCases) {
  const token = await withClock(j.now, () =>
    createEmailVerificationToken(j.secret, j.email, j.updateTo, j.expiresIn, j.extra),
  );
  const [h, p] = token.split(".");
  const verified = await withClock(j.now + 1000, () => crypto.verifyJWT(token, j.secret));
  const verifiedWrongSecret = await withClock(j.now + 1000, () => crypto.verifyJWT(token, j.secret + "x"));
  jwtVectors.push({
    kind: j.kind,
    secret: j.secret,
    now_ms: j.now,
    args: { email: j.email, updateTo: j.updateTo ?? null, expiresIn: j.expiresIn, extraPayload: j.extra },
    token,
    header: b64urlJson(h),
    payload: b64urlJson(p),
    verifies: verified !== null,
    verifies_with_wrong_secret: verifiedWrongSecret !== null,
  });
}

// ---------------------------------------------------------------- symmetric encryption (§9.1)
const symCases = [
  { secret: SECRET, plaintext: "hello world" },
  { secret: SECRET, plaintext: "" },
  { secret: "another-secret-with-32-characters!!", plaintext: '{"crv":"Ed25519","d":"abc","x":"def","kty":"OKP"}' },
  { secret: "sécret-ünïcode-🔑-0123456789abcdef", plaintext: "ünïcode plaintext 🔐" },
  { secret: SECRET, plaintext: "x".repeat(1000) },
];
const symVectors = [];
for (const s of symCases) {
  const ciphertext = await crypto.symmetricEncrypt({ key: s.secret, data: s.plaintext });
  const roundtrip = await crypto.symmetricDecrypt({ key: s.secret, data: ciphertext });
  if (roundtrip !== s.plaintext) throw new Error("symmetric roundtrip failed");
  symVectors.push({ secret: s.secret, plaintext: s.plaintext, ciphertext, jwks_column: JSON.stringify(ciphertext) });
}
// Secret rotation envelope `$ba$<version>$<hex>` (READ better-auth/dist/crypto/index.mjs).
const rotation = {
  keys: new Map([
    [2, "rotated-secret-v2-0123456789abcdef0123"],
    [1, SECRET],
  ]),
  currentVersion: 2,
  legacySecret: SECRET,
};
const envelope = await crypto.symmetricEncrypt({ key: rotation, data: "rotated plaintext" });
const legacyHex = await crypto.symmetricEncrypt({ key: SECRET, data: "legacy bare hex" });
const symRotation = {
  keys: Object.fromEntries([...rotation.keys].map(([v, s]) => [String(v), s])),
  current_version: rotation.currentVersion,
  legacy_secret: rotation.legacySecret,
  envelope: { plaintext: "rotated plaintext", ciphertext: envelope,
    decrypted: await crypto.symmetricDecrypt({ key: rotation, data: envelope }) },
  legacy: { plaintext: "legacy bare hex", ciphertext: legacyHex,
    decrypted: await crypto.symmetricDecrypt({ key: rotation, data: legacyHex }) },
};

// ---------------------------------------------------------------- a real jwks row from the jwt plugin (§9.1)
const memoryDb = { user: [], session: [], account: [], verification: [], jwks: [] };
const jwtAuth = betterAuth({
  database: memoryAdapter(memoryDb),
  secret: SECRET,
  baseURL: "http://localhost:3000",
  telemetry: { enabled: false },
  logger: { disabled: true },
  plugins: [jwt()],
});
const jwksResponse = await jwtAuth.api.getJwks();
const row = memoryDb.jwks[0];
if (!row) throw new Error("jwt plugin created no jwks row");
const privateJwk = await crypto.symmetricDecrypt({ key: SECRET, data: JSON.parse(row.privateKey) });
const pluginTokenNow = 1795338102000;
const pluginToken = await withClock(pluginTokenNow, () =>
  jwtAuth.api.signJWT({ body: { payload: { iat: pluginTokenNow / 1000, sub: "user-id-123", email: "alice@example.com" } } }),
);
const jwksRow = {
  secret: SECRET,
  row: {
    id: row.id,
    publicKey: row.publicKey,
    privateKey: row.privateKey,
    alg: row.alg ?? null,
    crv: row.crv ?? null,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt ? row.expiresAt.toISOString() : null,
  },
  private_jwk: privateJwk,
  jwks_response: jwksResponse,
  signed_jwt: {
    now_ms: pluginTokenNow,
    base_url: "http://localhost:3000",
    token: pluginToken.token,
    header: b64urlJson(pluginToken.token.split(".")[0]),
    payload: b64urlJson(pluginToken.token.split(".")[1]),
  },
};

// ---------------------------------------------------------------- ids and tokens (format only)
const ids = {
  generateId_32: Array.from({ length: 8 }, () => generateId(32)),
  generateId_default: Array.from({ length: 4 }, () => generateId()),
  reset_token_generateId_24: Array.from({ length: 4 }, () => generateId(24)),
  generateRandomString_32: Array.from({ length: 4 }, () => crypto.generateRandomString(32)),
  regex: {
    generateId_32: "^[A-Za-z0-9]{32}$",
    reset_token_generateId_24: "^[A-Za-z0-9]{24}$",
    generateRandomString_32: "^[A-Za-z0-9_-]{32}$",
  },
};

const vectors = {
  generator: "tests/compat/gen_vectors.mjs",
  node: process.version,
  npm_versions: Object.fromEntries(
    ["better-auth", "@better-auth/core", "@better-auth/utils", "better-call", "jose", "@noble/ciphers", "@noble/hashes"].map(
      (n) => [n, version(n)],
    ),
  ),
  scrypt_params: { N: 16384, r: 16, p: 1, dkLen: 64, salt: "hex of 16 random bytes, used as ASCII", normalize: "NFKC" },
  passwords: passwordVectors,
  cookies: cookieVectors,
  email_verification_jwt: jwtVectors,
  symmetric_encryption: symVectors,
  symmetric_encryption_rotation: symRotation,
  jwks: jwksRow,
  ids,
};

const out = join(here, "vectors.json");
writeFileSync(out, JSON.stringify(vectors, null, 2) + "\n");
console.log(`wrote ${out}`);
