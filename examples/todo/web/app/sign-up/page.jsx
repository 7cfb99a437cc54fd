"use client";

import Link from "next/link";
import { useEffect, useState } from "react";
import { useRouter } from "next/navigation";
import { useApp } from "@/lib/providers";
import { PASSWORD_RULES } from "@/lib/password-rules";

export default function SignUp() {
  const { authClient, report } = useApp();
  const router = useRouter();
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const rules = PASSWORD_RULES.map((rule) => ({ ...rule, met: rule.test(password) }));
  const allMet = rules.every((rule) => rule.met);
  const session = authClient.useSession();

  // Signed in at once (no verification required): go on when the session store has the new session.
  useEffect(() => {
    if (session.data && !session.isRefetching) router.replace("/tasks");
  }, [session.data, session.isRefetching, router]);

  async function submit(event) {
    event.preventDefault();
    setBusy(true);
    report(null);
    const { data, error } = await authClient.signUp.email({
      name,
      email,
      password,
      // The verification link (when the backend requires one) comes back here, signed in.
      callbackURL: `${window.location.origin}/tasks`,
    });
    setBusy(false);
    if (error) return report(error);
    if (!data?.token) router.push(`/check-email?email=${encodeURIComponent(email)}`);
  }

  return (
    <main>
      <h1>Create an account</h1>
      <form onSubmit={submit}>
        <label htmlFor="name">Name</label>
        <input id="name" type="text" value={name} onChange={(e) => setName(e.target.value)} required />
        <label htmlFor="email">Email</label>
        <input id="email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
        <label htmlFor="password">Password</label>
        <input
          id="password"
          type="password"
          autoComplete="new-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          aria-describedby="password-rules"
          required
        />
        <ul className="rules" id="password-rules" data-testid="password-rules">
          {rules.map((rule) => (
            <li key={rule.id} className={rule.met ? "met" : "unmet"} data-rule={rule.id} data-met={rule.met}>
              {rule.met ? "✓" : "○"} {rule.label}
            </li>
          ))}
        </ul>
        <div className="row">
          <button type="submit" disabled={busy || !allMet}>
            Sign up
          </button>
          <Link href="/sign-in">I already have an account</Link>
        </div>
      </form>
    </main>
  );
}
