import { type EffectiveJudgeSettings, isRecord, type JudgeSettingSource, overlayJudgeSettings, parseJudgeSettings } from "@darklaunch/core";

/** One layer of partial judge settings and its name. */
export interface SettingsLayer {
  source: Exclude<JudgeSettingSource, "default">;
  settings: Record<string, unknown>;
}

/** Dotted paths of the leaf fields a partial settings object sets (arrays are leaves: `critical` is set as a whole). */
export function settingPaths(settings: Record<string, unknown>, prefix = ""): string[] {
  return Object.entries(settings).flatMap(([key, value]) =>
    isRecord(value) ? settingPaths(value, `${prefix}${key}.`) : [`${prefix}${key}`],
  );
}

/**
 * Judge settings from layers, later ones overriding earlier ones field by field (`tolerances.errors`
 * of a ramp leaves the flag's `tolerances.latencyTail` alone), with where every field came from.
 * Throws a `ValidationError` naming the field when the merged settings are invalid.
 *
 * @example
 * layerJudgeSettings([{ source: "flag", settings: { alpha: 0.01 } }, { source: "ramp", settings: { critical: ["errors"] } }]);
 */
export function layerJudgeSettings(layers: readonly SettingsLayer[]): EffectiveJudgeSettings {
  let merged: Record<string, unknown> = {};
  const sources: Record<string, JudgeSettingSource> = {};
  for (const path of settingPaths(parseJudgeSettings({}) as unknown as Record<string, unknown>)) sources[path] = "default";
  for (const layer of layers) {
    merged = overlayJudgeSettings(merged, layer.settings);
    for (const path of settingPaths(layer.settings)) sources[path] = layer.source;
  }
  return { settings: parseJudgeSettings(merged), sources };
}
