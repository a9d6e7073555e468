import type { WhoAmIResponse } from "@darklaunch/core";
import { useEffect, useState } from "react";
import { createApi, describeError } from "./api.js";
import { Link } from "./link.js";
import { useRoute } from "./router.js";
import { clearToken, loadToken, saveToken } from "./session.js";
import { type Session, SessionContext } from "./session-context.js";
import { SignIn } from "./sign-in.js";
import { AuditView } from "./views/audit-view.js";
import { FlagPage } from "./views/flag-page.js";
import { LaunchesView } from "./views/launches-view.js";

/** Checks a token with the server; resolves to a session or rejects with what was wrong. */
async function openSession(token: string): Promise<Session> {
  const api = createApi(token);
  const me = await api.request<WhoAmIResponse>("GET", "/api/v1/whoami");
  return { api, name: me.name, scope: me.scope, canWrite: me.scope === "write" || me.scope === "admin" };
}

export function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [restoring, setRestoring] = useState(() => loadToken() !== null);
  const [signInError, setSignInError] = useState<string | null>(null);

  useEffect(() => {
    const token = loadToken();
    if (token === null) return;
    openSession(token)
      .then(setSession)
      .catch((error) => {
        clearToken();
        setSignInError(describeError(error));
      })
      .finally(() => setRestoring(false));
  }, []);

  const signIn = async (token: string) => {
    setSignInError(null);
    try {
      const opened = await openSession(token);
      saveToken(token);
      setSession(opened);
    } catch (error) {
      setSignInError(signInMessage(error));
    }
  };
  const signOut = () => {
    clearToken();
    setSession(null);
  };

  if (restoring) return <p className="muted">Checking your session…</p>;
  if (session === null) return <SignIn onSignIn={signIn} error={signInError} />;
  return (
    <SessionContext.Provider value={session}>
      <Shell session={session} onSignOut={signOut} />
    </SessionContext.Provider>
  );
}

function signInMessage(error: unknown): string {
  const status = (error as { status?: number }).status;
  if (status === 401) return "This token was not accepted: it is unknown, revoked or mistyped. Check it and try again.";
  if (status === 403)
    return "This is an SDK token: it can read flag snapshots but not use the dashboard. Sign in with a read, write or admin token.";
  return describeError(error);
}

function Shell({ session, onSignOut }: { session: Session; onSignOut: () => void }) {
  const route = useRoute();
  return (
    <>
      <header className="top">
        <Link href="/">
          <span className="brand">darklaunch</span>
        </Link>
        <nav aria-label="Main">
          <Link href="/" current={route.page === "launches"}>
            Launches
          </Link>
          <Link href="/audit" current={route.page === "audit"}>
            Audit
          </Link>
        </nav>
        <div className="who">
          <span>
            {session.name} <span className={`scope scope-${session.scope}`}>{session.scope}</span>
          </span>
          <button type="button" className="secondary" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main>
        {route.page === "launches" && <LaunchesView />}
        {route.page === "audit" && <AuditView />}
        {route.page === "flag" && <FlagPage flagKey={route.key} tab={route.tab} />}
        {route.page === "missing" && (
          <section>
            <h1>No such page</h1>
            <p>
              Nothing lives at <code>{route.path}</code>. <Link href="/">Back to the launches</Link>.
            </p>
          </section>
        )}
      </main>
    </>
  );
}
