/**
 * A release flag (`on`/`off`, enabled) serving `darkPercentage` % of subjects `on`: the flag a
 * ramp, a metric or a test of percentages starts from. Spread `overrides` over it.
 */
export function releaseFlag(key: string, darkPercentage: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    key,
    variants: { on: true, off: false },
    offVariant: "off",
    enabled: true,
    fallthrough: {
      split: [
        { variant: "on", weight: darkPercentage },
        { variant: "off", weight: 100 - darkPercentage },
      ],
    },
    ...overrides,
  };
}
