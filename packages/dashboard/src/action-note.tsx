/** The outcome of an action beside its controls: ✓ or ✗ with words (never colour alone); errors are announced at once. */
export function ActionNote({ message, testId }: { message: { kind: "ok" | "error"; text: string } | null; testId?: string }) {
  if (message === null) return null;
  return (
    <p className={`note ${message.kind}`} role={message.kind === "error" ? "alert" : "status"} data-testid={testId}>
      {message.kind === "ok" ? "✓ " : "✗ "}
      {message.text}
    </p>
  );
}
