"use client";

import Link from "next/link";
import { useEffect, useState } from "react";
import { useRouter } from "next/navigation";
import { useApp } from "@/lib/providers";

export default function SignIn() {
  const { authClient, config, report } = useApp();
  const router = useRouter();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const session = authClient.useSession();

  // Go on once the client's session store holds the new session (it refetches after a sign-in): the tasks page
  // must not see the signed-out state of a moment ago and send us back here.
  useEffect(() => {
    if (session.data && !session.isRefetching) router.replace("/tasks");
  }, [session.data, session.isRefetching, router]);

  async function submit(event) {
    event.preventDefault();
    setBusy(true);
    report(null);
    const { error } = await authClient.signIn.email({ email, password });
    setBusy(false);
    if (error) return report(error);
  }

  async function social() {
    report(null);
    // Better Auth 1.7's genericOAuth providers are social providers: the backend answers the provider's URL and the
    // client follows it; the provider returns to the backend's callback, which sets the session cookie and
    // redirects to callbackURL.
    const { error } = await authClient.signIn.social({
      provider: config.oidcProvider,
      callbackURL: `${window.location.origin}/tasks`,
      errorCallbackURL: `${window.location.origin}/sign-in`,
    });
    if (error) report(error);
  }

  return (
    <main>
      <h1>Sign in</h1>
      <form onSubmit={submit}>
        <label htmlFor="email">Email</label>
        <input id="email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
        <label htmlFor="password">Password</label>
        <input
          id="password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          required
        />
        <div className="row">
          <button type="submit" disabled={busy}>
            Sign in
          </button>
          <Link href="/sign-up">Create an account</Link>
        </div>
      </form>
      {config.oidcProvider && (
        <div className="row">
          <button type="button" className="secondary" onClick={social}>
            Sign in with {config.oidcProvider}
          </button>
        </div>
      )}
    </main>
  );
}
