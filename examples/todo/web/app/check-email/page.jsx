"use client";

import Link from "next/link";
import { Suspense } from "react";
import { useSearchParams } from "next/navigation";

function Message() {
  const email = useSearchParams().get("email");
  return (
    <p className="notice" data-testid="check-email">
      We have sent a verification link to <strong>{email || "your address"}</strong>. Open it to finish signing up:
      it signs you in and brings you to your tasks.
    </p>
  );
}

export default function CheckEmail() {
  return (
    <main>
      <h1>Check your email</h1>
      <Suspense>
        <Message />
      </Suspense>
      <Link href="/sign-in">Back to sign in</Link>
    </main>
  );
}
