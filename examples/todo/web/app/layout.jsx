import { Providers } from "@/lib/providers";
import "./globals.css";

// The API's origin and the sign-in providers are read when the page is served, not baked into the build: one build
// runs against any backend (tests start it on a free port).
export const dynamic = "force-dynamic";

export const metadata = { title: "Todo", description: "Tasks behind Better Auth, served by FastAPI" };

export default function RootLayout({ children }) {
  const config = {
    apiUrl: (process.env.TODO_API_URL ?? "http://localhost:8000").replace(/\/$/, ""),
    oidcProvider: process.env.TODO_OIDC_PROVIDER || null,
  };
  return (
    <html lang="en">
      <body>
        <Providers config={config}>{children}</Providers>
      </body>
    </html>
  );
}
