"use client";

import Link from "next/link";
import { useApp } from "./providers";

export function TopBar({ user }) {
  const { authClient, report } = useApp();
  async function signOut() {
    // The client refetches the session (now none) and tells the other tabs; useSignedIn then goes to /sign-in,
    // in this tab and in the others alike.
    const { error } = await authClient.signOut();
    if (error) report(error);
  }
  return (
    <header className="bar">
      <span data-testid="user">
        {user.name} <span className="muted">({user.email})</span>
      </span>
      <span className="row" style={{ marginTop: 0 }}>
        <Link href="/tasks">Tasks</Link>
        {user.role === "admin" && <Link href="/admin">Admin</Link>}
        <button className="secondary" onClick={signOut}>
          Sign out
        </button>
      </span>
    </header>
  );
}
