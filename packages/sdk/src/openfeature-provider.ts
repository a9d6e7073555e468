import type { EvaluationResult, VariantValue } from "@darklaunch/core";
import {
  ErrorCode,
  type EvaluationContext,
  type JsonValue,
  OpenFeatureEventEmitter,
  type Provider,
  ProviderEvents,
  type ResolutionDetails,
  type TrackingEventDetails,
} from "@openfeature/server-sdk";
import { type ClientOptions, createClient, type DarkLaunchClient } from "./client.js";

/**
 * darklaunch as an OpenFeature provider for `@openfeature/server-sdk`: local, synchronous evaluation
 * on the client's snapshot, darklaunch's reasons mapped to OpenFeature's, and the client's events as
 * READY, CONFIGURATION_CHANGED, STALE and ERROR.
 *
 * @example
 * await OpenFeature.setProviderAndWait(new DarkLaunchProvider({ url, token }));
 * const enabled = await OpenFeature.getClient().getBooleanValue("checkout-v2", false, { targetingKey: "u42" });
 */
export class DarkLaunchProvider implements Provider {
  readonly metadata = { name: "darklaunch" } as const;
  readonly runsOn = "server";
  readonly events = new OpenFeatureEventEmitter();
  readonly client: DarkLaunchClient;
  private readonly ownsClient: boolean;
  private degraded = false;
  private readonly unsubscribe: (() => void)[];

  /** Give it a client to share, or the options to create one it owns (and closes). */
  constructor(clientOrOptions: DarkLaunchClient | ClientOptions) {
    this.ownsClient = !isClient(clientOrOptions);
    this.client = isClient(clientOrOptions) ? clientOrOptions : createClient(clientOrOptions);
    this.unsubscribe = [
      this.client.on("change", (event) => {
        this.recover();
        this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: event.keys });
      }),
      this.client.on("stale", (event) => {
        this.degraded = true;
        this.events.emit(ProviderEvents.Stale, { message: event.error.message });
      }),
      this.client.on("error", (error) => {
        this.degraded = true;
        this.events.emit(ProviderEvents.Error, {
          message: error.message,
          ...(error.code === "UNAUTHORIZED" ? { errorCode: ErrorCode.PROVIDER_FATAL } : {}),
        });
      }),
      this.client.on("ready", (event) => {
        if (!event.stale) this.recover();
      }),
    ];
  }

  async initialize(): Promise<void> {
    await this.client.ready();
  }

  async onClose(): Promise<void> {
    for (const off of this.unsubscribe) off();
    if (this.ownsClient) await this.client.close();
  }

  async resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: EvaluationContext): Promise<ResolutionDetails<boolean>> {
    return this.resolve(flagKey, defaultValue, context);
  }

  async resolveStringEvaluation(flagKey: string, defaultValue: string, context: EvaluationContext): Promise<ResolutionDetails<string>> {
    return this.resolve(flagKey, defaultValue, context);
  }

  async resolveNumberEvaluation(flagKey: string, defaultValue: number, context: EvaluationContext): Promise<ResolutionDetails<number>> {
    return this.resolve(flagKey, defaultValue, context);
  }

  async resolveObjectEvaluation<T extends JsonValue>(
    flagKey: string,
    defaultValue: T,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<T>> {
    return this.resolve(flagKey, defaultValue, context);
  }

  /**
   * The OpenFeature Tracking API: `client.track("purchase", { targetingKey }, { value: 42 })` is
   * `client.track("purchase", context, 42)` on darklaunch (business metrics; `value` is optional).
   */
  track(trackingEventName: string, context: EvaluationContext, trackingEventDetails: TrackingEventDetails): void {
    const value = trackingEventDetails?.value;
    this.client.track(trackingEventName, context, typeof value === "number" ? value : undefined);
  }

  private resolve<T>(flagKey: string, defaultValue: T, context: EvaluationContext): ResolutionDetails<T> {
    const result = this.client.evaluate(flagKey, context, defaultValue as VariantValue) as EvaluationResult<unknown>;
    if (result.errorCode !== undefined) {
      return { value: defaultValue, reason: "ERROR", errorCode: toErrorCode(result.errorCode), errorMessage: result.errorMessage };
    }
    const flagMetadata: Record<string, string | number | boolean> = { reason: result.reason, included: result.included };
    if (result.flagVersion !== undefined) flagMetadata.flagVersion = result.flagVersion;
    if (result.ruleId !== undefined) flagMetadata.ruleId = result.ruleId;
    if (result.position !== undefined) flagMetadata.position = result.position;
    return { value: result.value as T, variant: result.variant, reason: result.openFeatureReason, flagMetadata };
  }

  /** Back to READY after a STALE or ERROR, as OpenFeature expects of a provider that recovered. */
  private recover(): void {
    if (!this.degraded) return;
    this.degraded = false;
    this.events.emit(ProviderEvents.Ready, { message: "darklaunch is current again" });
  }
}

function isClient(value: DarkLaunchClient | ClientOptions): value is DarkLaunchClient {
  return typeof (value as DarkLaunchClient).evaluate === "function";
}

function toErrorCode(code: string): ErrorCode {
  switch (code) {
    case "FLAG_NOT_FOUND":
      return ErrorCode.FLAG_NOT_FOUND;
    case "TYPE_MISMATCH":
      return ErrorCode.TYPE_MISMATCH;
    case "INVALID_CONTEXT":
      return ErrorCode.INVALID_CONTEXT;
    default:
      return ErrorCode.GENERAL;
  }
}
