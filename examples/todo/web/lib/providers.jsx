"use client";

import { createContext, useCallback, useContext, useEffect, useMemo, useState } from "react";
import { usePathname } from "next/navigation";
import { makeApi } from "./api";
import { makeAuthClient } from "./auth-client";
import { readableMessage } from "./errors";

const AppContext = createContext(null);

/** Config from the server, the Better Auth client, the JWT-carrying API client and the central error handler. */
export function Providers({ config, children }) {
  const [error, setError] = useState(null);
  const [jwtStats, setJwtStats] = useState({ refreshes: 0, retries: 0 });
  const value = useMemo(() => {
    const authClient = makeAuthClient(config.apiUrl);
    const api = makeApi(config.apiUrl, authClient, setJwtStats);
    return { config, authClient, api };
  }, [config]);
  // One place turns every failure into a sentence; pages just call report(error).
  const report = useCallback((e) => setError(e ? readableMessage(e) : null), []);
  const pathname = usePathname();
  useEffect(() => setError(null), [pathname]); // a message belongs to the page it was shown on
  return (
    <AppContext.Provider value={{ ...value, report, jwtStats }}>
      {error && (
        <div className="alert" role="alert" data-testid="error">
          <span>{error}</span>
          <button className="secondary" onClick={() => setError(null)} aria-label="Dismiss">
            ×
          </button>
        </div>
      )}
      {children}
    </AppContext.Provider>
  );
}

export function useApp() {
  return useContext(AppContext);
}
