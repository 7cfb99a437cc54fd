// The resolve hook registered by pinned_packages.mjs: a bare specifier not found from its importer is looked up
// from tests/interop (its node_modules).
const HERE = new URL("./package.json", import.meta.url).href;
const BARE = /^(?![./]|[a-z][a-z0-9+.-]*:)/i; // not relative, absolute, or a URL (node:, file:, data:)

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    if (error?.code !== "ERR_MODULE_NOT_FOUND" || !BARE.test(specifier)) throw error;
    return nextResolve(specifier, { ...context, parentURL: HERE });
  }
}
