import { useCallback, useEffect, useRef, useState } from "react";
import { type EntityTag, NotModified } from "./api.js";

export interface Polled<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** Fetch again now (after an action), without waiting for the next tick. */
  reload: () => void;
}

/** How often a view re-reads the server; a change from the CLI shows within this. */
export const POLL_MS = 2000;

export interface PollState<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
}

/** What one poll's outcome does to what is shown: a 304 or an unchanged answer keeps the same state object. */
export function nextPollState<T>(
  state: PollState<T>,
  outcome: { ok: true; data: T; text: string; lastText: string | undefined } | { ok: false; error: unknown },
): PollState<T> {
  if (!outcome.ok) {
    // 304: the server says what is shown is current.
    if (outcome.error instanceof NotModified)
      return state.error === undefined && !state.loading ? state : { ...state, error: undefined, loading: false };
    return { data: state.data, error: outcome.error, loading: false };
  }
  if (outcome.text !== outcome.lastText) return { data: outcome.data, error: undefined, loading: false };
  return state.error === undefined && !state.loading ? state : { data: outcome.data, error: undefined, loading: false };
}

/**
 * Reads `load()` now and every `POLL_MS`, so the page follows the server without a reload. `load`
 * may pass the `tag` it is given to `api.request`: the poll then sends If-None-Match and a 304
 * keeps what is shown. The state changes only when the answer's text does, so an unchanged answer
 * re-renders nothing.
 */
export function usePoll<T>(load: (tag: EntityTag) => Promise<T>, deps: readonly unknown[]): Polled<T> {
  const [state, setState] = useState<PollState<T>>({ data: undefined, error: undefined, loading: true });
  const [tick, setTick] = useState(0);
  const last = useRef<string | undefined>(undefined);
  const tag = useRef<EntityTag>({ value: undefined });
  const loaded = useRef<((tag: EntityTag) => Promise<T>) | undefined>(undefined);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller names what `load` depends on.
  const stableLoad = useCallback(load, deps);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `tick` is how reload() asks for a fetch now.
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // New arguments start over (no stale answer shown as the new one, no old tag sent); reload() keeps what is shown.
    if (loaded.current !== stableLoad) {
      loaded.current = stableLoad;
      last.current = undefined;
      tag.current = { value: undefined };
      setState({ data: undefined, error: undefined, loading: true });
    }
    const run = async () => {
      try {
        const data = await stableLoad(tag.current);
        if (stopped) return;
        const text = JSON.stringify(data);
        const lastText = last.current;
        last.current = text;
        setState((s) => nextPollState(s, { ok: true, data, text, lastText }));
      } catch (error) {
        if (stopped) return;
        setState((s) => nextPollState(s, { ok: false, error }));
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
