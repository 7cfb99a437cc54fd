// Imports a package as seen from tests/interop (where node_modules lives), so scripts elsewhere
// (tests/compat/gen_vectors.mjs) can use the pinned npm packages: `await load("better-auth/crypto")`.
// A dynamic import() resolves bare specifiers relative to the module that contains it: this file.
export const load = (specifier) => import(specifier);
