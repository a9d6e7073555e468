import { describe, expect, it } from "vitest";
import { ProxyMetrics } from "./proxy-metrics.js";

const line = (text: string, series: string) => new RegExp(`^${series.replace(/[{}."+]/g, "\\$&")} (\\S+)$`, "m").exec(text)?.[1];

describe("ProxyMetrics", () => {
  it("counts calls in plain numbers and shows the same totals on every scrape, folded once", async () => {
    const metrics = new ProxyMetrics();
    metrics.calls.count("api", "stable", 200, false, 0.002);
    metrics.calls.count("api", "stable", 503, true, 0.02);
    metrics.calls.count("api", "dark", undefined, true, 3);
    let text = await metrics.registry.metrics();
    expect(line(text, 'darklaunch_proxy_requests_total{side="stable",route="api",status_class="2xx"}')).toBe("1");
    expect(line(text, 'darklaunch_proxy_requests_total{side="stable",route="api",status_class="5xx"}')).toBe("1");
    expect(line(text, 'darklaunch_proxy_requests_total{side="dark",route="api",status_class="error"}')).toBe("1");
    expect(line(text, 'darklaunch_proxy_errors_total{side="stable"}')).toBe("1");
    expect(line(text, 'darklaunch_proxy_request_duration_seconds_bucket{le="0.0025",side="stable"}')).toBe("1");
    expect(line(text, 'darklaunch_proxy_request_duration_seconds_bucket{le="0.025",side="stable"}')).toBe("2");
    expect(line(text, 'darklaunch_proxy_request_duration_seconds_bucket{le="2.5",side="dark"}')).toBe("0");
    expect(line(text, 'darklaunch_proxy_request_duration_seconds_bucket{le="+Inf",side="dark"}')).toBe("1");
    expect(Number(line(text, 'darklaunch_proxy_request_duration_seconds_sum{side="stable"}'))).toBeCloseTo(0.022, 9);
    expect(line(text, 'darklaunch_proxy_request_duration_seconds_count{side="stable"}')).toBe("2");
    // A role never called has no series.
    expect(text).not.toMatch(/side="secondary"/);

    metrics.calls.count("api", "stable", 204, false, 0.001);
    metrics.mirrorCounts.dropped.inflight += 3;
    metrics.mirrorCounts.match += 2;
    metrics.mirrorCounts.inflight = 4;
    text = await metrics.registry.metrics();
    expect(line(text, 'darklaunch_proxy_requests_total{side="stable",route="api",status_class="2xx"}')).toBe("2");
    expect(line(text, 'darklaunch_proxy_errors_total{side="stable"}')).toBe("1");
    expect(line(text, 'darklaunch_proxy_request_duration_seconds_count{side="stable"}')).toBe("3");
    expect(line(text, 'darklaunch_proxy_mirrors_dropped_total{reason="inflight"}')).toBe("3");
    expect(line(text, 'darklaunch_proxy_comparisons_total{result="match"}')).toBe("2");
    expect(line(text, "darklaunch_proxy_mirror_inflight")).toBe("4");
    text = await metrics.registry.metrics();
    expect(line(text, 'darklaunch_proxy_mirrors_dropped_total{reason="inflight"}')).toBe("3");
    expect(line(text, 'darklaunch_proxy_comparisons_total{result="match"}')).toBe("2");
  });
});
