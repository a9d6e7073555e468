import type {
  AnalysisResponse,
  FlagJudgeSettingsResponse,
  FlagRecord,
  ObservationSeries,
  RampRecord,
  RampResponse,
  RampVerdictListResponse,
  VerdictResponse,
} from "@darklaunch/core";
import { ApiError, flagPath } from "../api.js";
import { useSession } from "../session-context.js";
import { type Polled, usePoll } from "../use-poll.js";

/** Everything the launch page reads besides the flag, each polled so the page follows the server. */
export interface LaunchData {
  verdict: Polled<VerdictResponse>;
  /** null: the flag has never had a ramp. */
  ramp: Polled<RampRecord | null>;
  verdicts: Polled<RampVerdictListResponse["verdicts"]>;
  analysis: Polled<AnalysisResponse>;
  observations: Polled<ObservationSeries>;
  /** The flag's judge settings: effective, and which fields the flag sets. */
  judge: Polled<FlagJudgeSettingsResponse>;
  reload: () => void;
}

/** The period the summary and breakdown cover when no ramp bounds it. */
export const SUMMARY_SINCE = "1h";

export function useLaunchData(flag: Pick<FlagRecord, "key">): LaunchData {
  const { api } = useSession();
  const key = flag.key;
  const verdict = usePoll(() => api.request<VerdictResponse>("GET", flagPath(key, "/verdict")), [api, key]);
  const ramp = usePoll(
    () =>
      api.request<RampResponse>("GET", flagPath(key, "/ramp")).then(
        (r) => r.ramp,
        (error: unknown) => {
          if (error instanceof ApiError && error.status === 404) return null;
          throw error;
        },
      ),
    [api, key],
  );
  const rampId = ramp.data?.id;
  const verdicts = usePoll(
    (tag) =>
      rampId === undefined
        ? Promise.resolve([])
        : api.request<RampVerdictListResponse>("GET", flagPath(key, "/ramp/verdicts?limit=200"), undefined, tag).then((r) => r.verdicts),
    [api, key, rampId],
  );
  const analysis = usePoll(() => api.request<AnalysisResponse>("GET", flagPath(key, "/analysis")), [api, key]);
  const observations = usePoll(
    (tag) => api.request<ObservationSeries>("GET", flagPath(key, `/observations?since=${SUMMARY_SINCE}&step=1m`), undefined, tag),
    [api, key],
  );
  const judge = usePoll((tag) => api.request<FlagJudgeSettingsResponse>("GET", flagPath(key, "/judge"), undefined, tag), [api, key]);
  const reload = () => {
    verdict.reload();
    ramp.reload();
    verdicts.reload();
    analysis.reload();
    judge.reload();
  };
  return { verdict, ramp, verdicts, analysis, observations, judge, reload };
}
