// The URL-parsing attack table: each input judged by the REAL Better Auth 1.7.24 (its own
// `ctx.isTrustedOrigin`, i.e. Node's `new URL` + `matchesOriginPattern`), for the Python URL trust check.
//
//   cd tests/interop && npm ci && node ../compat/gen_url_vectors.mjs            # writes tests/compat/url_vectors.json
//   node ../compat/gen_url_vectors.mjs --stdout                                   # prints it (the drift test)
//
// `stricter` marks inputs where the Python library refuses what Better Auth accepts, and says which rule does
// it (docs/security.md explains each). Everything else must get Better Auth's decision, and an accepted URL
// must be emitted as Node serialises it.
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const { load } = await import(new URL("../interop/resolve.mjs", import.meta.url));
const { betterAuth } = await load("better-auth");
const { memoryAdapter } = await load("better-auth/adapters/memory");

const BASE_URL = "https://app.example.com";
const TRUSTED = ["http://localhost:3000", "https://*.example.org", "*.example.net", "http://192.168.*.*:8080", "myapp://"];
const RELATIVE_BASE = "https://better-auth.invalid";

// [input, stricter-reason | null, note]
const CASES = [
  // backslashes: browsers and Node read "\" as "/" in http(s) URLs; urllib does not
  ["https://evil.com\\@app.example.com/", null, "the reported takeover: host is evil.com"],
  ["https://evil.com\\.example.org", null, "wildcard bypass attempt"],
  ["https://app.example.com\\@evil.com", "backslash", "host app.example.com, path /@evil.com"],
  ["https://app.example.com\\evil", "backslash", "trusted host, backslash path"],
  ["/\\evil.com", null, "slash-backslash"],
  ["\\\\evil.com", null, "double backslash"],
  ["/\\/evil.com", null, ""],
  ["\\/evil.com", null, ""],
  ["https:\\\\evil.com", null, ""],
  ["https:/\\evil.com", null, ""],
  ["https://evil.com\\\\app.example.com", null, ""],
  // encoded and double-encoded separators
  ["/%2F%2Fevil.com", null, "encoded //"],
  ["/%2f%5cevil.com", null, "encoded /\\"],
  ["/%5Cevil.com", null, "encoded \\"],
  ["/%252F%252Fevil.com", null, "double-encoded: a same-site path"],
  ["/dashboard?next=%2F%2Fevil.com", null, "encoded separators in the query are harmless"],
  ["https://evil.com%2F@app.example.com", "userinfo", "encoded / in user-info"],
  ["https://app.example.com%2F@evil.com", null, "host is evil.com"],
  ["https://evil.com%40app.example.com", null, "encoded @ in the host: invalid"],
  ["https://%61pp.example.com/", null, "percent-encoded host label decodes to app"],
  ["https://app.example.com%2eevil.com/", null, "encoded dot: host app.example.com.evil.com"],
  // user-info
  ["https://app.example.com@evil.com", null, "host is evil.com"],
  ["https://evil.com@app.example.com", "userinfo", "user-info naming another site"],
  ["https://user:pass@app.example.com/", "userinfo", ""],
  ["https://@app.example.com/", "userinfo", "empty user-info"],
  ["https:evil.com@app.example.com", "userinfo", "no slashes"],
  ["https://app.example.com:@evil.com", null, "host is evil.com"],
  ["https://app.example.com:443@evil.com", null, ""],
  // IDN, punycode, look-alikes, case, trailing dots
  ["https://\u0430pp.example.com/", null, "Cyrillic a"],
  ["https://app.ex\u0430mple.com/", null, "Cyrillic a in the registrable domain"],
  ["https://xn--pp-8cd.example.com/", null, "punycode look-alike"],
  ["https://APP.EXAMPLE.COM/Path", null, "upper case"],
  ["https://\uff41\uff50\uff50.example.com/", null, "fullwidth letters map to app"],
  ["https://app\u3002example\u3002com/", null, "ideographic full stops map to dots"],
  ["https://app.example.com./", null, "trailing dot is another origin"],
  ["https://app.example.com../", null, ""],
  ["https://sub.example.org./", null, "trailing dot against a wildcard"],
  // ports
  ["https://app.example.com:443/x", null, "default port"],
  ["https://app.example.com:0443/", null, "leading zero in the port"],
  ["https://app.example.com:8443/", null, "other port"],
  ["http://localhost:3000/welcome", null, ""],
  ["http://localhost:03000/", null, ""],
  ["http://localhost:3001/", null, ""],
  ["http://app.example.com/", null, "scheme downgrade"],
  ["https://app.example.com:65536/", null, "port out of range"],
  // IPv4 and IPv6
  ["http://[::1]:3000/", null, ""],
  ["http://[::ffff:127.0.0.1]:3000/", null, ""],
  ["http://192.168.1.5:8080/", null, "IPv4 wildcard"],
  ["http://192.168.evil.com:8080/", null, "all-digit wildcard admits only IPv4"],
  ["http://0xC0.0xA8.1.5:8080/", null, "hex IPv4"],
  ["http://3232235781:8080/", null, "decimal IPv4"],
  ["http://192.168.1.5.evil.com:8080/", null, ""],
  // control characters, tabs and newlines
  ["https://app.exa\tmple.com/", "control", "tab inside the host"],
  ["https://app.example.com/\r\nSet-Cookie: x=1", "control", "header injection"],
  ["https://app.example.com/\n", "control", ""],
  ["https://evil.com\t@app.example.com", "control", "a tab hides user-info"],
  ["https://ev\nil.com/", null, "newline inside an untrusted host"],
  ["/dash\nboard", null, "newline in a relative path"],
  ["/dash\tboard", null, ""],
  ["\u0000https://app.example.com", "control", "leading NUL"],
  ["https://app.example.com/\u0085", "control", "C1 control"],
  [" https://app.example.com/", null, "leading space is stripped"],
  // schemes
  ["javascript:alert(1)", null, ""],
  ["JaVaScRiPt:alert(1)", null, ""],
  ["javascript://app.example.com/%0aalert(1)", null, ""],
  ["data:text/html,<script>alert(1)</script>", null, ""],
  ["vbscript:msgbox(1)", null, ""],
  ["file:///etc/passwd", null, ""],
  ["blob:https://app.example.com/0b5a", null, ""],
  ["ftp://x.example.net/", "scheme", "host-only pattern, non-http scheme"],
  ["myapp://callback", null, "configured app scheme"],
  ["myapp://callback/../done", null, ""],
  ["otherapp://callback", null, ""],
  ["https:app.example.com", null, "no slashes: still https://app.example.com"],
  ["http:app.example.com", null, ""],
  ["https:/evil.com", null, ""],
  ["https:evil.com", null, ""],
  // relative and protocol-relative
  ["/dashboard", null, ""],
  ["/", null, ""],
  ["/dashboard?next=https://evil.com#x", null, "an absolute URL in the query is just text"],
  ["//evil.com", null, "protocol-relative"],
  ["///evil.com", null, ""],
  ["/.//evil.com", "relative", "serialises to //evil.com"],
  ["/..//evil.com", "relative", "serialises to //evil.com"],
  ["/%09/evil.com", null, "encoded tab is text"],
  ["//app.example.com/", null, "protocol-relative to a trusted host"],
  ["evil.com", null, "no scheme"],
  ["./dashboard", null, ""],
  ["?next=x", null, ""],
  ["#frag", null, ""],
  // wildcard patterns
  ["https://sub.example.org/", null, ""],
  ["https://a.b.example.org/", null, "* crosses dots, as in Better Auth"],
  ["https://example.org/", null, ""],
  ["https://evil.com/.example.org", null, ""],
  ["https://evil.com?.example.org", null, ""],
  ["https://evil.com#.example.org", null, ""],
  ["https://evilexample.org/", null, ""],
  ["http://sub.example.org/", null, ""],
  ["https://sub.example.org.evil.com/", null, ""],
  ["https://sub.example.net:8443/", null, "host-only patterns see the port"],
  ["http://sub.example.net/", null, "host-only patterns take either scheme"],
  ["https://sub.example.org:443/", null, ""],
];

const auth = betterAuth({
  database: memoryAdapter({ user: [], session: [], account: [], verification: [] }),
  secret: "test-secret-0123456789abcdef0123456789abcdef",
  baseURL: BASE_URL,
  trustedOrigins: TRUSTED,
  telemetry: { enabled: false },
  logger: { disabled: true },
});
const ctx = await auth.$context;

function href(value, base) {
  try {
    return base === undefined ? new URL(value).href : new URL(value, base).href;
  } catch {
    return null;
  }
}

const cases = CASES.map(([input, stricter, note]) => ({
  input,
  note,
  stricter,
  callback: ctx.isTrustedOrigin(input, { allowRelativePaths: true }),
  origin: ctx.isTrustedOrigin(input, { allowRelativePaths: false }),
  node_href: input.startsWith("/") ? null : href(input),
  node_relative: input.startsWith("/") ? href(input, RELATIVE_BASE) : null,
}));

const out = {
  generator: "tests/compat/gen_url_vectors.mjs",
  better_auth: "1.7.24",
  base_url: BASE_URL,
  trusted_origins: TRUSTED,
  relative_base: RELATIVE_BASE,
  cases,
};
const text = JSON.stringify(out, null, 2) + "\n";
if (process.argv.includes("--stdout")) process.stdout.write(text);
else writeFileSync(join(here, "url_vectors.json"), text);
