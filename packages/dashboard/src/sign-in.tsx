import { type FormEvent, useState } from "react";

export function SignIn({ onSignIn, error }: { onSignIn: (token: string) => Promise<void>; error: string | null }) {
  const [token, setToken] = useState("");
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (token.trim() === "") return;
    setBusy(true);
    await onSignIn(token.trim());
    setBusy(false);
  };
  return (
    <main className="sign-in">
      <h1>darklaunch</h1>
      <form onSubmit={submit} aria-describedby="token-help">
        <label htmlFor="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={token}
          onChange={(e) => setToken(e.target.value)}
          aria-invalid={error !== null}
          aria-describedby={error !== null ? "token-error" : undefined}
        />
        <button type="submit" disabled={busy || token.trim() === ""}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        {error !== null && (
          <p id="token-error" className="note error" role="alert">
            {error}
          </p>
        )}
        <p id="token-help" className="muted">
          A <code>read</code> token can look; a <code>write</code> or <code>admin</code> token can also change flags. The first{" "}
          <code>darklaunch serve</code> prints an admin token; make others with <code>darklaunch tokens create</code>. The token stays in
          this tab only and is forgotten when you close it.
        </p>
      </form>
    </main>
  );
}
