import { useCallback, useEffect, useRef, useState } from "react";

export interface Polled<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** Fetch again now (after an action), without waiting for the next tick. */
  reload: () => void;
}

/** How often a view re-reads the server; a change from the CLI shows within this. */
export const POLL_MS = 2000;

/**
 * Reads `load()` now and every `POLL_MS`, so the page follows the server without a reload. The state
 * changes only when the answer's text does, so an unchanged answer re-renders nothing.
 */
export function usePoll<T>(load: () => Promise<T>, deps: readonly unknown[]): Polled<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  });
  const [tick, setTick] = useState(0);
  const last = useRef<string | undefined>(undefined);
  const loaded = useRef<(() => Promise<T>) | undefined>(undefined);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller names what `load` depends on.
  const stableLoad = useCallback(load, deps);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `tick` is how reload() asks for a fetch now.
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // New arguments start over (no stale answer shown as the new one); reload() keeps what is shown.
    if (loaded.current !== stableLoad) {
      loaded.current = stableLoad;
      last.current = undefined;
      setState({ data: undefined, error: undefined, loading: true });
    }
    const run = async () => {
      try {
        const data = await stableLoad();
        if (stopped) return;
        const text = JSON.stringify(data);
        if (text !== last.current) {
          last.current = text;
          setState({ data, error: undefined, loading: false });
        } else {
          setState((s) => (s.error === undefined && !s.loading ? s : { data, error: undefined, loading: false }));
        }
      } catch (error) {
        if (stopped) return;
        setState((s) => ({ data: s.data, error, loading: false }));
      }
      if (!stopped) timer = setTimeout(run, POLL_MS);
    };
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [stableLoad, tick]);

  return { ...state, reload: () => setTick((t) => t + 1) };
}
