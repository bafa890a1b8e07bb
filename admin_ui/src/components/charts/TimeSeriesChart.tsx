// A line (or area) chart over time buckets, drawn in SVG: a y axis from 0, UTC time labels,
// a legend, a tooltip following the pointer, and the numbers as a table under "Show data".
// The drawing is one role="img" whose name summarises it; the table holds every value.

import { useState, type PointerEvent, type ReactNode } from "react";
import { ChartFrame, seriesColor } from "./ChartFrame";
import { formatBucket, formatCompact, formatTick, linearTicks, type TimeStep } from "./scale";
import { useWidth } from "./useWidth";

export interface TimeSeries {
  label: string;
  /** One per time; null where there is no value (drawn as a gap, not as zero). */
  values: (number | null)[];
  color?: string;
  dashed?: boolean;
}

export interface TimeSeriesChartProps {
  title: string;
  description?: ReactNode;
  /** Bucket starts, in order. */
  times: Date[];
  step: TimeStep;
  series: TimeSeries[];
  /** Values in the tooltip, the table and the summary. */
  format?: (value: number) => string;
  /** Labels of the y axis (default: compact numbers). */
  axisFormat?: (value: number) => string;
  /** Fill under each line. */
  area?: boolean;
  height?: number;
  /** "total": the summary gives each series' sum and peak (counts); "peak": only the peak
   * (latencies, rates). */
  summary?: "total" | "peak";
}

const MARGIN = { top: 12, right: 14, bottom: 26 };
const CHAR_WIDTH = 7;

export function TimeSeriesChart({
  title,
  description,
  times,
  step,
  series,
  format = formatCompact,
  axisFormat = formatCompact,
  area = false,
  height = 220,
  summary = "total",
}: TimeSeriesChartProps) {
  const { ref, width } = useWidth<HTMLDivElement>();
  const [hover, setHover] = useState<number | null>(null);
  const colored = series.map((s, index) => ({ ...s, color: seriesColor(index, s.color) }));

  const peak = Math.max(0, ...colored.flatMap((s) => s.values.filter((v): v is number => v !== null)));
  const ticks = linearTicks(peak);
  const yMax = ticks[ticks.length - 1] ?? 1;
  const left = Math.max(...ticks.map((t) => axisFormat(t).length)) * CHAR_WIDTH + 12;
  const plotWidth = Math.max(40, width - left - MARGIN.right);
  const plotHeight = height - MARGIN.top - MARGIN.bottom;
  const count = times.length;
  const band = plotWidth / Math.max(count, 1);
  const x = (index: number) => left + band * (index + 0.5);
  const y = (value: number) => MARGIN.top + plotHeight - (value / yMax) * plotHeight;
  const baseline = MARGIN.top + plotHeight;

  const maxLabels = Math.max(2, Math.floor(plotWidth / 92));
  const stride = Math.max(1, Math.ceil(count / maxLabels));
  const tickIndexes = times.map((_, index) => index).filter((index) => index % stride === 0);

  const onPointer = (event: PointerEvent<SVGSVGElement>) => {
    const box = event.currentTarget.getBoundingClientRect();
    const index = Math.floor((event.clientX - box.left - left) / band);
    setHover(count === 0 ? null : Math.min(count - 1, Math.max(0, index)));
  };

  const first = times[0];
  const last = times[count - 1];
  const label = chartSummary(title, colored, first, last, step, format, summary);

  return (
    <ChartFrame
      title={title}
      description={description}
      legend={colored.map((s) => ({ label: s.label, color: s.color, dashed: s.dashed }))}
      table={() => <SeriesTable title={title} times={times} step={step} series={colored} format={format} />}
    >
      <div className="chart-plot" ref={ref}>
        <svg
          role="img"
          aria-label={label}
          width={width}
          height={height}
          onPointerMove={onPointer}
          onPointerLeave={() => setHover(null)}
        >
          <g className="chart-axes" aria-hidden="true">
            {ticks.map((tick) => (
              <g key={tick}>
                <line x1={left} x2={left + plotWidth} y1={y(tick)} y2={y(tick)} />
                <text x={left - 8} y={y(tick)} dy="0.32em" textAnchor="end">
                  {axisFormat(tick)}
                </text>
              </g>
            ))}
            {tickIndexes.map((index) => {
              const time = times[index];
              if (!time) return null;
              return (
                // The first label starts at the axis rather than overhanging the y labels.
                <text
                  key={index}
                  x={index === 0 ? left : x(index)}
                  y={baseline + 18}
                  textAnchor={index === 0 ? "start" : "middle"}
                >
                  {formatTick(time, step, times[index - stride])}
                </text>
              );
            })}
          </g>
          {colored.map((s) => (
            <g key={s.label} className="chart-series" style={{ color: s.color }}>
              {segments(s.values).map((segment) => {
                const points = segment.map((index) => `${x(index)},${y(s.values[index] ?? 0)}`);
                const firstIndex = segment[0] ?? 0;
                const lastIndex = segment[segment.length - 1] ?? 0;
                return (
                  <g key={firstIndex}>
                    {area && segment.length > 1 ? (
                      <path
                        className="chart-area"
                        d={`M${x(firstIndex)},${baseline} L${points.join(" L")} L${x(lastIndex)},${baseline} Z`}
                      />
                    ) : null}
                    {segment.length > 1 ? (
                      <path
                        className={`chart-line${s.dashed ? " chart-line-dashed" : ""}`}
                        d={`M${points.join(" L")}`}
                      />
                    ) : null}
                    {segment.length === 1 || count <= 40
                      ? segment.map((index) => (
                          <circle key={index} className="chart-dot" cx={x(index)} cy={y(s.values[index] ?? 0)} r={2.5} />
                        ))
                      : null}
                  </g>
                );
              })}
            </g>
          ))}
          {hover !== null ? (
            <g aria-hidden="true">
              <line className="chart-cursor" x1={x(hover)} x2={x(hover)} y1={MARGIN.top} y2={baseline} />
              {colored.map((s) => {
                const value = s.values[hover];
                return value === null || value === undefined ? null : (
                  <circle key={s.label} className="chart-hover-dot" cx={x(hover)} cy={y(value)} r={4} style={{ color: s.color }} />
                );
              })}
            </g>
          ) : null}
        </svg>
        {hover !== null && times[hover] ? (
          <div
            className="chart-tooltip"
            aria-hidden="true"
            style={
              x(hover) > width / 2
                ? { right: width - x(hover) + 10, top: MARGIN.top }
                : { left: x(hover) + 10, top: MARGIN.top }
            }
          >
            <div className="chart-tooltip-time">{formatBucket(times[hover], step)}</div>
            {colored.map((s) => {
              const value = s.values[hover];
              return (
                <div key={s.label} className="chart-tooltip-row">
                  <span className="chart-swatch" style={{ background: s.color, borderColor: s.color }} />
                  <span>{s.label}</span>
                  <strong>{value === null || value === undefined ? "—" : format(value)}</strong>
                </div>
              );
            })}
          </div>
        ) : null}
      </div>
    </ChartFrame>
  );
}

/** Runs of consecutive indexes whose value is not null. */
function segments(values: (number | null)[]): number[][] {
  const runs: number[][] = [];
  let run: number[] = [];
  values.forEach((value, index) => {
    if (value === null) {
      if (run.length) runs.push(run);
      run = [];
    } else {
      run.push(index);
    }
  });
  if (run.length) runs.push(run);
  return runs;
}

function chartSummary(
  title: string,
  series: TimeSeries[],
  first: Date | undefined,
  last: Date | undefined,
  step: TimeStep,
  format: (value: number) => string,
  kind: "total" | "peak",
): string {
  if (!first || !last) return `${title}: no data`;
  const parts = series.map((s) => {
    const known = s.values.filter((v): v is number => v !== null);
    if (!known.length) return `${s.label}: no data`;
    const max = Math.max(...known);
    const total = known.reduce((sum, v) => sum + v, 0);
    const prefix = kind === "total" ? `${s.label} ${format(total)} in total, ` : `${s.label} `;
    return `${prefix}peak ${format(max)}`;
  });
  return `${title}, ${formatBucket(first, step)} to ${formatBucket(last, step)}: ${parts.join("; ")}`;
}

/** Every value, one row per bucket. */
function SeriesTable({
  title,
  times,
  step,
  series,
  format,
}: {
  title: string;
  times: Date[];
  step: TimeStep;
  series: TimeSeries[];
  format: (value: number) => string;
}) {
  return (
    <div className="table-wrap chart-table">
        <table className="table">
          <caption className="visually-hidden">{title}: values by time (UTC)</caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              {series.map((s) => (
                <th key={s.label} scope="col" className="num">
                  {s.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {times.map((time, index) => (
              <tr key={time.getTime()}>
                <th scope="row">{formatBucket(time, step)}</th>
                {series.map((s) => {
                  const value = s.values[index];
                  return (
                    <td key={s.label} className="num">
                      {value === null || value === undefined ? "—" : format(value)}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
    </div>
  );
}
