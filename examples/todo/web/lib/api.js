import { ApiError } from "./errors";

/**
 * Calls to the task API carry the jwt plugin's EdDSA JWT as `Authorization: Bearer`. The JWT is fetched from
 * /api/auth/token (the session cookie proves who asks), kept in memory only, and replaced silently: before a call
 * when it is about to expire, and once more when the API answers 401 anyway (clock skew, key rotation).
 */
export function makeApi(apiUrl, authClient, onStats) {
  let current = null; // {token, renewAt}
  let pending = null;
  const stats = { refreshes: 0, retries: 0 };

  // When to fetch the next JWT: a quarter of its lifetime (at most 5 s) before it expires, so that no request
  // leaves with a token that expires on the way.
  function renewAt(token) {
    try {
      const { exp, iat } = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
      return exp * 1000 - Math.min(5000, ((exp - iat) * 1000) / 4);
    } catch {
      return 0;
    }
  }

  async function refresh() {
    if (!pending) {
      pending = (async () => {
        const { data, error } = await authClient.$fetch("/token", { method: "GET" });
        if (error || !data?.token) {
          current = null;
          throw new ApiError({ message: error?.message, code: error?.code || "UNAUTHORIZED", status: error?.status || 401 });
        }
        current = { token: data.token, renewAt: renewAt(data.token) };
        stats.refreshes += 1;
        onStats?.({ ...stats });
        return current.token;
      })().finally(() => {
        pending = null;
      });
    }
    return pending;
  }

  async function token() {
    if (current && current.renewAt > Date.now()) return current.token;
    return refresh();
  }

  async function request(method, path, body) {
    const send = async (jwt) =>
      fetch(`${apiUrl}${path}`, {
        method,
        headers: { Authorization: `Bearer ${jwt}`, ...(body !== undefined ? { "Content-Type": "application/json" } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
    let response = await send(await token());
    if (response.status === 401) {
      stats.retries += 1;
      response = await send(await refresh());
    }
    if (response.status === 204) return null;
    const payload = await response.json().catch(() => null);
    if (!response.ok) {
      throw new ApiError({ ...(payload || {}), status: response.status, code: payload?.code || `HTTP_${response.status}` });
    }
    return payload;
  }

  return {
    get: (path) => request("GET", path),
    post: (path, body) => request("POST", path, body),
    put: (path, body) => request("PUT", path, body),
    patch: (path, body) => request("PATCH", path, body),
    del: (path) => request("DELETE", path),
    forget() {
      current = null;
    },
    stats,
  };
}
