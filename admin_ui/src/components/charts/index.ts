// Small SVG charts (no chart library): time series and bars, each with a legend, a tooltip
// or value labels, an accessible summary and its numbers as a table.
export { BarChart, type Bar } from "./BarChart";
export { ChartFrame, seriesColor, type LegendItem } from "./ChartFrame";
export { TimeSeriesChart, type TimeSeries, type TimeSeriesChartProps } from "./TimeSeriesChart";
export { formatBucket, formatCompact, formatTick, linearTicks, niceCeiling, type TimeStep } from "./scale";
