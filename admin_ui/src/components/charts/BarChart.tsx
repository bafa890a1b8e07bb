// Horizontal bars with their values written beside them, drawn in SVG: for comparing a few
// groups (requests by resource, by model, ...). One role="img" names the whole comparison;
// the numbers are also a table under "Show data".

import type { ReactNode } from "react";
import { ChartFrame, seriesColor } from "./ChartFrame";
import { formatCompact } from "./scale";
import { useWidth } from "./useWidth";

export interface Bar {
  label: string;
  value: number;
}

const ROW = 28;
const BAR = 18;
const CHAR_WIDTH = 7;

export function BarChart({
  title,
  description,
  bars,
  format = formatCompact,
  valueLabel = "Value",
  color,
}: {
  title: string;
  description?: ReactNode;
  bars: Bar[];
  format?: (value: number) => string;
  /** The value column's header in the data table. */
  valueLabel?: string;
  color?: string;
}) {
  const { ref, width } = useWidth<HTMLDivElement>();
  const fill = seriesColor(0, color);
  const max = Math.max(0, ...bars.map((bar) => bar.value)) || 1;
  // Labels get at most 40% of the width (cut with an ellipsis; the full name is the title).
  const labelChars = Math.max(6, Math.min(Math.floor((width * 0.4) / CHAR_WIDTH), 28));
  const labelWidth = Math.min(labelChars, Math.max(4, ...bars.map((bar) => bar.label.length))) * CHAR_WIDTH + 12;
  const valueWidth = Math.max(...bars.map((bar) => format(bar.value).length), 1) * CHAR_WIDTH + 10;
  const barSpace = Math.max(20, width - labelWidth - valueWidth);
  const height = Math.max(ROW, bars.length * ROW);
  const summary = bars.length
    ? `${title}: ${bars.map((bar) => `${bar.label} ${format(bar.value)}`).join(", ")}`
    : `${title}: no data`;

  return (
    <ChartFrame
      title={title}
      description={description}
      table={() => (
        <div className="table-wrap chart-table">
          <table className="table">
            <caption className="visually-hidden">{title}</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col" className="num">
                  {valueLabel}
                </th>
              </tr>
            </thead>
            <tbody>
              {bars.map((bar) => (
                <tr key={bar.label}>
                  <th scope="row">{bar.label}</th>
                  <td className="num">{format(bar.value)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    >
      <div className="chart-plot" ref={ref}>
        <svg role="img" aria-label={summary} width={width} height={height}>
          {bars.map((bar, index) => {
            const top = index * ROW + (ROW - BAR) / 2;
            const length = Math.max(bar.value > 0 ? 2 : 0, (bar.value / max) * barSpace);
            const shown = bar.label.length > labelChars ? `${bar.label.slice(0, labelChars - 1)}…` : bar.label;
            return (
              <g key={bar.label} className="chart-bar-row">
                <title>{`${bar.label}: ${format(bar.value)}`}</title>
                <text className="chart-bar-label" x={labelWidth - 8} y={top + BAR / 2} dy="0.32em" textAnchor="end">
                  {shown}
                </text>
                <rect x={labelWidth} y={top} width={length} height={BAR} rx={3} style={{ fill }} />
                <text className="chart-bar-value" x={labelWidth + length + 6} y={top + BAR / 2} dy="0.32em">
                  {format(bar.value)}
                </text>
              </g>
            );
          })}
        </svg>
      </div>
    </ChartFrame>
  );
}
