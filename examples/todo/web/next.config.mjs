/**
 * Development: the browser calls the API on its own origin (TODO_API_URL, e.g. http://localhost:8000), CORS with
 * credentials. Production, same-site: set TODO_API_PROXY (e.g. http://api.internal:8000) and leave TODO_API_URL
 * empty: /api/* is then proxied by Next.js, so the auth cookies are first-party on the page's own origin (what
 * Safari's tracking prevention and Chrome's third-party cookie phase-out both require). See README.md.
 */
const proxy = process.env.TODO_API_PROXY;

/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  async rewrites() {
    return proxy ? [{ source: "/api/:path*", destination: `${proxy.replace(/\/$/, "")}/api/:path*` }] : [];
  },
};

export default nextConfig;
