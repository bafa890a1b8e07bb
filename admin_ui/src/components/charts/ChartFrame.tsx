import { useId, useState, type ReactNode } from "react";

/** One series' colour: the palette in styles.css (--chart-1 ... --chart-7). */
export function seriesColor(index: number, color?: string): string {
  return color ?? `var(--chart-${(index % 7) + 1})`;
}

export interface LegendItem {
  label: string;
  color: string;
  /** Drawn dashed in the chart. */
  dashed?: boolean;
}

/** A chart's frame: the title, the legend, the drawing, and the numbers as a table for
 * anyone who cannot see the drawing (or wants the exact values). */
export function ChartFrame({
  title,
  description,
  legend,
  table,
  children,
}: {
  title: string;
  description?: ReactNode;
  legend?: LegendItem[];
  /** The data table shown under "Show data" (drawn only once opened: a minute-by-minute
   * day has 1,440 rows). */
  table: () => ReactNode;
  children: ReactNode;
}) {
  const titleId = useId();
  const [open, setOpen] = useState(false);
  return (
    <figure className="chart" aria-labelledby={titleId}>
      <figcaption className="chart-head">
        <span id={titleId} className="chart-title">
          {title}
        </span>
        {description ? <span className="chart-description">{description}</span> : null}
      </figcaption>
      {legend && legend.length > 0 ? (
        <ul className="chart-legend" aria-label={`${title}: legend`}>
          {legend.map((item) => (
            <li key={item.label}>
              <span
                className={`chart-swatch${item.dashed ? " chart-swatch-dashed" : ""}`}
                style={{ background: item.dashed ? undefined : item.color, borderColor: item.color }}
                aria-hidden="true"
              />
              {item.label}
            </li>
          ))}
        </ul>
      ) : null}
      {children}
      <details className="chart-data" onToggle={(event) => setOpen(event.currentTarget.open)}>
        <summary>
          Show data<span className="visually-hidden"> of {title}</span>
        </summary>
        {open ? table() : null}
      </details>
    </figure>
  );
}
