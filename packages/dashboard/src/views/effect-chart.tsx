import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { Columns } from "../chart-data.js";
import { DARK, DARK_DASH } from "./golden-chart.js";

/** The metric tiles' charts move their cursors together. */
const SYNC_KEY = "launch-metrics";
const HEIGHT = 150;

/**
 * A metric's effect over time (dark/base ratio): the estimate, its anytime-valid band (shaded), the
 * tolerance line the judge tests harm against (dashed) and 1 (no change, dotted). Data from
 * `effectColumns`: x, estimate, band low, band high, tolerance, one.
 */
export function EffectChart({ title, data }: { title: string; data: Columns }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  // biome-ignore lint/correctness/useExhaustiveDependencies: built once; data goes through setData below.
  useEffect(() => {
    const target = box.current;
    if (target === null) return;
    const options: uPlot.Options = {
      width: Math.max(240, target.clientWidth),
      height: HEIGHT,
      cursor: { sync: { key: SYNC_KEY } },
      legend: { show: false },
      scales: { x: { time: true } },
      axes: [{}, { label: "dark / base", size: 50 }],
      bands: [{ series: [3, 2], fill: "rgba(194, 65, 12, 0.15)" }],
      series: [
        {},
        { label: "estimate", stroke: DARK, width: 2, spanGaps: false },
        { label: "band low", stroke: "rgba(194, 65, 12, 0.35)", width: 1, points: { show: false } },
        { label: "band high", stroke: "rgba(194, 65, 12, 0.35)", width: 1, points: { show: false } },
        { label: "tolerance", stroke: "#7f1d1d", width: 1.5, dash: DARK_DASH, points: { show: false } },
        { label: "no change", stroke: "#6b7280", width: 1, dash: [2, 3], points: { show: false } },
      ],
    };
    const chart = new uPlot(options, data as uPlot.AlignedData, target);
    plot.current = chart;
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(240, target.clientWidth), height: HEIGHT }));
    resize.observe(target);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, []);

  useEffect(() => {
    plot.current?.setData(data as uPlot.AlignedData);
  }, [data]);

  return (
    <figure className="effect">
      <div
        ref={box}
        className="effect-chart"
        role="img"
        aria-label={`${title}: dark/base estimate per minute with its band and the tolerance line`}
      />
      <figcaption className="legend small muted">
        <span className="key estimate">estimate</span> <span className="key band">band</span>{" "}
        <span className="key tolerance">tolerance</span> <span className="key one">no change</span>
      </figcaption>
    </figure>
  );
}
