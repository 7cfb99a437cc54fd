"use client";

import { useEffect } from "react";
import { useRouter } from "next/navigation";
import { useApp } from "./providers";

/** The session, or a redirect to /sign-in once it is known to be gone (also when another tab signs out). */
export function useSignedIn() {
  const { authClient, api } = useApp();
  const session = authClient.useSession();
  const router = useRouter();
  const signedOut = !session.isPending && !session.isRefetching && !session.data;
  useEffect(() => {
    if (signedOut) {
      api.forget();
      router.replace("/sign-in");
    }
  }, [signedOut, api, router]);
  return session;
}
