"use client";

import { useCallback, useEffect, useState } from "react";
import { useApp } from "@/lib/providers";
import { TopBar } from "@/lib/top-bar";
import { useSignedIn } from "@/lib/use-signed-in";

const FILTERS = ["all", "pending", "completed"];

function TaskItem({ task, onChanged }) {
  const { api, report } = useApp();
  const [editing, setEditing] = useState(false);
  const [title, setTitle] = useState(task.title);
  const run = async (call) => {
    try {
      await call();
      await onChanged();
    } catch (e) {
      report(e);
    }
  };
  return (
    <li className={task.completed ? "done" : ""} data-testid="task" data-title={task.title}>
      <input
        type="checkbox"
        checked={task.completed}
        aria-label={`Complete ${task.title}`}
        onChange={() => run(() => api.patch(`/api/tasks/${task.id}/complete`))}
      />
      {editing ? (
        <form
          className="title"
          onSubmit={(e) => {
            e.preventDefault();
            run(async () => {
              await api.put(`/api/tasks/${task.id}`, { title });
              setEditing(false);
            });
          }}
        >
          <input type="text" aria-label="New title" value={title} onChange={(e) => setTitle(e.target.value)} autoFocus />
        </form>
      ) : (
        <span className="title">{task.title}</span>
      )}
      {!editing && (
        <button className="secondary" onClick={() => setEditing(true)}>
          Edit
        </button>
      )}
      <button className="danger" aria-label={`Delete ${task.title}`} onClick={() => run(() => api.del(`/api/tasks/${task.id}`))}>
        Delete
      </button>
    </li>
  );
}

export default function Tasks() {
  const { api, report, jwtStats } = useApp();
  const { data: session } = useSignedIn();
  const [filter, setFilter] = useState("all");
  const [tasks, setTasks] = useState(null);
  const [title, setTitle] = useState("");

  const load = useCallback(async () => {
    try {
      setTasks(await api.get(`/api/tasks?status=${filter}`));
    } catch (e) {
      report(e);
    }
  }, [api, filter, report]);

  useEffect(() => {
    if (session) load();
  }, [session, load]);

  async function add(event) {
    event.preventDefault();
    try {
      await api.post("/api/tasks", { title });
      setTitle("");
      await load();
    } catch (e) {
      report(e);
    }
  }

  if (!session) return <main aria-busy="true">Loading…</main>;
  return (
    <>
      <TopBar user={session.user} />
      <main>
        <h1>Your tasks</h1>
        <form className="row" onSubmit={add}>
          <input type="text" aria-label="New task" placeholder="What needs doing?" value={title} onChange={(e) => setTitle(e.target.value)} />
          <button type="submit">Add</button>
        </form>
        <div className="row filters" role="group" aria-label="Filter">
          {FILTERS.map((f) => (
            <button key={f} className="secondary" aria-pressed={filter === f} onClick={() => setFilter(f)}>
              {f}
            </button>
          ))}
        </div>
        {tasks === null ? (
          <p aria-busy="true">Loading…</p>
        ) : tasks.length === 0 ? (
          <p className="muted" data-testid="empty">
            Nothing here.
          </p>
        ) : (
          <ul className="tasks">
            {tasks.map((task) => (
              <TaskItem key={`${task.id}-${task.updated_at}`} task={task} onChanged={load} />
            ))}
          </ul>
        )}
        <p className="muted" data-testid="jwt-stats" data-refreshes={jwtStats.refreshes} data-retries={jwtStats.retries}>
          API calls carry a JWT; fetched {jwtStats.refreshes} time(s).
        </p>
      </main>
    </>
  );
}
