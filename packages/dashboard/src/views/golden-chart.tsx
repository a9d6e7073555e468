import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { ChangeMarker, Columns } from "../chart-data.js";

export interface ChartSeries {
  label: string;
  stroke: string;
  /** Dashed lines mark the dark side, so the two sides differ by more than their colour. */
  dash?: number[];
  width?: number;
}

/** Charts with this key move their cursors together. */
const SYNC_KEY = "golden-signals";

/** One uPlot chart; its cursor is synced with the other golden-signal charts on the page. */
export function GoldenChart({
  title,
  unit,
  series,
  data,
  markers,
  period,
}: {
  title: string;
  unit: string;
  series: ChartSeries[];
  data: Columns;
  markers: ChangeMarker[];
  /** The x range in unix seconds: the whole period asked for, even where nothing was observed. */
  period: [number, number];
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const markerRef = useRef(markers);
  markerRef.current = markers;
  const periodRef = useRef(period);
  periodRef.current = period;

  // biome-ignore lint/correctness/useExhaustiveDependencies: the chart is built once per series set; data goes through setData below.
  useEffect(() => {
    const target = box.current;
    if (target === null) return;
    const options: uPlot.Options = {
      width: Math.max(300, target.clientWidth),
      height: 200,
      cursor: { sync: { key: SYNC_KEY } },
      scales: { x: { time: true, range: () => periodRef.current } },
      axes: [{}, { label: unit, size: 60 }],
      hooks: { draw: [(u) => drawMarkers(u, markerRef.current)] },
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: s.stroke,
          width: s.width ?? 1.5,
          ...(s.dash ? { dash: s.dash } : {}),
          spanGaps: false,
        })),
      ],
    };
    const chart = new uPlot(options, data as uPlot.AlignedData, target);
    plot.current = chart;
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(300, target.clientWidth), height: 200 }));
    resize.observe(target);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [series.map((s) => s.label).join("|"), unit]);

  useEffect(() => {
    plot.current?.setData(data as uPlot.AlignedData);
  }, [data]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: new markers need a redraw; the draw hook reads them from the ref.
  useEffect(() => {
    plot.current?.redraw(false);
  }, [markers]);

  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} role="img" aria-label={`${title}: ${series.map((s) => s.label).join(", ")} per step`} />
    </figure>
  );
}

/** Blue for baseline, orange for dark (distinguishable with the common colour-vision deficiencies), dark dashed. */
export const BASELINE = "#2563eb";
export const DARK = "#c2410c";
export const DARK_DASH = [6, 4];

/** A dotted vertical line at each flag change inside the plotted period. */
function drawMarkers(u: uPlot, markers: ChangeMarker[]): void {
  const { ctx, bbox } = u;
  ctx.save();
  ctx.strokeStyle = "#374151";
  ctx.lineWidth = Math.max(1, devicePixelRatio);
  ctx.setLineDash([3 * devicePixelRatio, 3 * devicePixelRatio]);
  for (const marker of markers) {
    const x = Math.round(u.valToPos(marker.t, "x", true));
    if (x < bbox.left || x > bbox.left + bbox.width) continue;
    ctx.beginPath();
    ctx.moveTo(x, bbox.top);
    ctx.lineTo(x, bbox.top + bbox.height);
    ctx.stroke();
  }
  ctx.restore();
}
