// Verifies a JWT against a JWKS with jose (the library Better Auth itself uses).
//   echo '{"jwks": {...}, "token": "...", "issuer": "...", "audience": "..."}' | node verify_jwt.mjs
// Prints {"ok": true, "header": {...}, "payload": {...}} or {"ok": false, "error": "..."}.
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const { jwks, token, issuer, audience } = JSON.parse(input);
try {
  const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer, audience });
  console.log(JSON.stringify({ ok: true, header: decodeProtectedHeader(token), payload }));
} catch (err) {
  console.log(JSON.stringify({ ok: false, error: `${err.code || err.name}: ${err.message}` }));
}
