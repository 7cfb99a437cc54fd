import { createAuthClient } from "better-auth/react";
import { adminClient, jwtClient } from "better-auth/client/plugins";

/**
 * The official Better Auth client, pointed at the FastAPI backend (its /api/auth routes). The session lives in the
 * backend's httpOnly cookie; the client sends it with every call (credentials: "include") and, on sign-out, tells
 * the other tabs through localStorage so they drop their session too.
 */
export function makeAuthClient(apiUrl) {
  return createAuthClient({
    // Same-site production setup: no API origin, /api/auth on the page's own origin (Next.js rewrites).
    baseURL: `${apiUrl || (typeof window === "undefined" ? "http://localhost" : window.location.origin)}/api/auth`,
    fetchOptions: { credentials: "include" },
    plugins: [jwtClient(), adminClient()],
  });
}
