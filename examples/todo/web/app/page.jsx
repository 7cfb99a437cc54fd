"use client";

import { useEffect } from "react";
import { useRouter } from "next/navigation";
import { useApp } from "@/lib/providers";

export default function Home() {
  const { authClient } = useApp();
  const { data, isPending } = authClient.useSession();
  const router = useRouter();
  useEffect(() => {
    if (!isPending) router.replace(data ? "/tasks" : "/sign-in");
  }, [data, isPending, router]);
  return <main aria-busy="true">Loading…</main>;
}
