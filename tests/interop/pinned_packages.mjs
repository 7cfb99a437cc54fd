// Lets a script outside tests/interop import the npm packages pinned here, as written for its users:
//
//   node --import ./tests/interop/pinned_packages.mjs examples/clients/node/mobile_client.mjs --base ...
//
// A bare specifier ("better-auth/client") that does not resolve from the importing file is resolved again
// from this folder, where `npm ci` installed package-lock.json. Imports that already resolve (node: builtins,
// relative files, the packages' own dependencies) are untouched. The hook itself is pinned_packages_hook.mjs
// (module.register runs it off the main thread).
import { register } from "node:module";

register("./pinned_packages_hook.mjs", import.meta.url);
