// Capacity as connections, resources and API keys take it: one row per period, each limiting
// requests, tokens or both (an empty box: no limit on that). The server checks the rules
// (one row per period, at least one limit a row) and its error shows under the editor; give
// `errorParam` (the ApiError's param, e.g. `capacity[1].tokens`) to mark the culprit's box.

import { useId } from "react";
import type { CapacityEntry, Period } from "../api/types";
import { Button } from "./Button";

/** The periods the API accepts, shortest first. */
export const PERIODS: Period[] = ["minute", "hour", "day", "week", "month"];

const PERIOD_LABELS: Record<Period, string> = {
  minute: "Per minute",
  hour: "Per hour",
  day: "Per day",
  week: "Per week",
  month: "Per month",
};

/** "100 requests, 10,000 tokens per minute; 1,000,000 tokens per day", or "No limits". */
export function capacitySummary(entries: CapacityEntry[] | null | undefined): string {
  if (!entries || entries.length === 0) return "No limits";
  return entries
    .map((entry) => {
      const parts = [
        entry.requests != null ? `${entry.requests.toLocaleString("en-US")} requests` : "",
        entry.tokens != null ? `${entry.tokens.toLocaleString("en-US")} tokens` : "",
      ].filter(Boolean);
      return `${parts.join(", ") || "no limit"} per ${entry.period}`;
    })
    .join("; ");
}

/** The row and box an error param points at: `capacity[1].tokens` -> {row: 1, box: "tokens"}. */
function culprit(param: string | null | undefined): { row: number; box: string | null } | null {
  const match = param ? /\[(\d+)\](?:\.(\w+))?$/.exec(param) : null;
  if (!match) return null;
  return { row: Number(match[1]), box: match[2] ?? null };
}

const toLimit = (text: string): number | null => (text.trim() === "" ? null : Number(text));

/** One limit's box (requests or tokens per period): empty means no limit. */
function LimitInput({
  label,
  value,
  disabled,
  invalid,
  onChange,
}: {
  label: string;
  value: number | null | undefined;
  disabled: boolean | undefined;
  invalid: boolean | undefined;
  onChange: (limit: number | null) => void;
}) {
  return (
    <input
      className="input"
      type="number"
      min={1}
      step={1}
      inputMode="numeric"
      placeholder="No limit"
      aria-label={label}
      value={value ?? ""}
      disabled={disabled}
      aria-invalid={invalid}
      onChange={(event) => onChange(toLimit(event.target.value))}
    />
  );
}

export function CapacityEditor({
  label,
  value,
  onChange,
  error,
  disabled = false,
  hint,
  errorParam,
}: {
  label: string;
  value: CapacityEntry[];
  onChange: (value: CapacityEntry[]) => void;
  error?: string;
  disabled?: boolean;
  /** A line under the label (what the limits apply to). */
  hint?: string;
  /** The API error's param (`capacity[1].period`), to mark that row's box as invalid. */
  errorParam?: string | null;
}) {
  const id = useId();
  const bad = error ? culprit(errorParam) : null;
  const invalid = (row: number, box: string) =>
    bad !== null && bad.row === row && (bad.box === null || bad.box === box) ? true : undefined;

  const update = (index: number, change: Partial<CapacityEntry>) =>
    onChange(value.map((entry, i) => (i === index ? { ...entry, ...change } : entry)));
  const remove = (index: number) => onChange(value.filter((_, i) => i !== index));
  const add = () => {
    const used = new Set(value.map((entry) => entry.period));
    const period = PERIODS.find((p) => !used.has(p)) ?? "minute";
    onChange([...value, { period, requests: null, tokens: null }]);
  };
  const describedBy = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;

  return (
    <fieldset className={`field capacity-editor${error ? " field-invalid" : ""}`} aria-describedby={describedBy}>
      <legend className="field-label">{label}</legend>
      {hint ? (
        <div id={`${id}-hint`} className="field-hint">
          {hint}
        </div>
      ) : null}
      {value.length === 0 ? (
        <p className="capacity-none">No limits.</p>
      ) : (
        <div className="capacity-rows">
          <div className="capacity-row capacity-head" aria-hidden="true">
            <span>Period</span>
            <span>Requests</span>
            <span>Tokens</span>
            <span />
          </div>
          {value.map((entry, index) => {
            const n = index + 1;
            return (
              <div className="capacity-row" key={index}>
                <select
                  className="input"
                  aria-label={`Period ${n}`}
                  value={entry.period}
                  disabled={disabled}
                  aria-invalid={invalid(index, "period")}
                  onChange={(event) => update(index, { period: event.target.value as Period })}
                >
                  {PERIODS.map((period) => (
                    <option key={period} value={period}>
                      {PERIOD_LABELS[period]}
                    </option>
                  ))}
                </select>
                <LimitInput
                  label={`Requests per period ${n}`}
                  value={entry.requests}
                  disabled={disabled}
                  invalid={invalid(index, "requests")}
                  onChange={(requests) => update(index, { requests })}
                />
                <LimitInput
                  label={`Tokens per period ${n}`}
                  value={entry.tokens}
                  disabled={disabled}
                  invalid={invalid(index, "tokens")}
                  onChange={(tokens) => update(index, { tokens })}
                />
                {disabled ? (
                  <span />
                ) : (
                  <Button variant="ghost" size="small" aria-label={`Remove limit ${n}`} onClick={() => remove(index)}>
                    Remove
                  </Button>
                )}
              </div>
            );
          })}
        </div>
      )}
      {error ? (
        <div id={`${id}-error`} className="field-error" role="alert">
          {bad ? `Limit ${bad.row + 1}${bad.box ? ` (${bad.box})` : ""}: ` : ""}
          {error}
        </div>
      ) : null}
      {disabled || value.length >= PERIODS.length ? null : (
        <div>
          <Button size="small" onClick={add}>
            Add limit
          </Button>
        </div>
      )}
    </fieldset>
  );
}
