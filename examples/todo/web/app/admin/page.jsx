"use client";

import { useEffect, useState } from "react";
import { useApp } from "@/lib/providers";
import { TopBar } from "@/lib/top-bar";
import { useSignedIn } from "@/lib/use-signed-in";

export default function Admin() {
  const { authClient, api, report } = useApp();
  const { data: session } = useSignedIn();
  const [users, setUsers] = useState(null);
  const [tasks, setTasks] = useState(null);
  const isAdmin = session?.user?.role === "admin";

  useEffect(() => {
    if (!isAdmin) return;
    (async () => {
      // The admin plugin's endpoints through the official adminClient, and the example's own admin API.
      const { data, error } = await authClient.admin.listUsers({ query: { limit: 50, sortBy: "createdAt" } });
      if (error) return report(error);
      setUsers(data.users);
      try {
        setTasks(await api.get("/api/admin/tasks"));
      } catch (e) {
        report(e);
      }
    })();
  }, [isAdmin, authClient, api, report]);

  if (!session) return <main aria-busy="true">Loading…</main>;
  return (
    <>
      <TopBar user={session.user} />
      <main>
        <h1>Admin</h1>
        {!isAdmin ? (
          <p data-testid="not-admin">Only administrators can see this page.</p>
        ) : (
          <>
            <h2>Users</h2>
            <table data-testid="users">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Email</th>
                  <th>Role</th>
                </tr>
              </thead>
              <tbody>
                {(users || []).map((u) => (
                  <tr key={u.id}>
                    <td>{u.name}</td>
                    <td>{u.email}</td>
                    <td>{u.role}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <h2>All tasks</h2>
            <p data-testid="all-tasks-count">{tasks ? `${tasks.length} task(s) across all users` : "Loading…"}</p>
          </>
        )}
      </main>
    </>
  );
}
