// The routing dry run (POST .../resources/{r}/test-route): a sample request, the key it
// would come with, headers and simulated error rates; the answer says which rule matched,
// whether the request is blocked, the chain of models and connections, and every step.
// Nothing is sent to a provider.

import { useState, type FormEvent } from "react";
import { api, ApiError, envPath, seg } from "../../api/client";
import type { DryRun, DryRunResult, ErrorRateSample, Resource } from "../../api/types";
import { Button, CheckboxField, ErrorBanner, Notice, SelectField, TextArea, TextField } from "../../components";
import { placeError } from "./errors";
import { newKey } from "./routing";

interface RateRow {
  key: string;
  provider: string;
  model: string;
  rate: string;
  status: string;
}

interface Sample {
  message: string;
  system: string;
  apiKey: string;
  maxTokens: string;
  stream: boolean;
  headers: string;
  extra: string;
  rates: RateRow[];
}

const initialSample = (): Sample => ({
  message: "Hello! Can you summarise this paragraph for me?",
  system: "",
  apiKey: "",
  maxTokens: "",
  stream: false,
  headers: "",
  extra: "",
  rates: [],
});

const clientError = (param: string, message: string) =>
  new ApiError({ status: 400, message, param, type: "invalid_request_error" });

/** The dry run's body, or throws an error naming the field that cannot be read. */
function buildDryRun(sample: Sample): DryRun {
  const messages: Record<string, unknown>[] = [];
  if (sample.system.trim()) messages.push({ role: "system", content: sample.system });
  messages.push({ role: "user", content: sample.message });
  let request: Record<string, unknown> = { messages };
  if (sample.maxTokens.trim()) request.max_tokens = Number(sample.maxTokens);
  if (sample.stream) request.stream = true;
  if (sample.extra.trim()) {
    let extra: unknown;
    try {
      extra = JSON.parse(sample.extra);
    } catch (error) {
      throw clientError("request", `not JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!extra || typeof extra !== "object" || Array.isArray(extra)) {
      throw clientError("request", "give a JSON object of request fields, e.g. {\"metadata\": {\"team\": \"search\"}}");
    }
    request = { ...request, ...(extra as Record<string, unknown>) };
  }
  const headers: Record<string, string> = {};
  for (const [index, line] of sample.headers.split("\n").entries()) {
    if (!line.trim()) continue;
    const colon = line.indexOf(":");
    if (colon <= 0) throw clientError("headers", `line ${index + 1}: write name: value`);
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  const errorRates: ErrorRateSample[] = sample.rates.map((row) => ({
    provider: row.provider.trim(),
    model: row.model.trim(),
    rate: row.rate.trim() === "" ? 0 : Number(row.rate),
    status: /^\d+$/.test(row.status) ? Number(row.status) : row.status,
  }));
  const body: DryRun = { request, headers, errorRates };
  if (sample.apiKey) body.apiKey = sample.apiKey;
  return body;
}

function paramsOf(sample: Sample): string[] {
  const names = ["request", "request.messages", "request.max_tokens", "apiKey", "headers", "errorRates"];
  sample.rates.forEach((_, index) => {
    const base = `errorRates[${index}]`;
    names.push(base, `${base}.provider`, `${base}.model`, `${base}.rate`, `${base}.status`, `${base}.connection`);
  });
  return names;
}

/** `conditions[1]` → "Rule 2 (its description)"; `primary` → "No rule: the primary model". */
function ruleLabel(rule: string, resource: Resource): string {
  const match = /^conditions\[(\d+)\]$/.exec(rule);
  if (!match) return rule === "primary" ? "No rule matched: the primary model" : rule;
  const index = Number(match[1]);
  const description = resource.routing?.conditions?.[index]?.description;
  return `Rule ${index + 1}${description ? ` — ${description}` : ""}`;
}

export function TestRoutePanel({ resource, workspace, environment }: { resource: Resource; workspace: string; environment: string }) {
  const [sample, setSample] = useState<Sample>(initialSample);
  const [result, setResult] = useState<DryRunResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [running, setRunning] = useState(false);
  const set = <K extends keyof Sample>(name: K, value: Sample[K]) => setSample((current) => ({ ...current, [name]: value }));
  const setRate = (index: number, change: Partial<RateRow>) =>
    set(
      "rates",
      sample.rates.map((row, i) => (i === index ? { ...row, ...change } : row)),
    );
  const placement = placeError(error, paramsOf(sample));
  const errorAt = placement.at;

  const run = async (event: FormEvent) => {
    event.preventDefault();
    setRunning(true);
    setError(null);
    try {
      const path = envPath(workspace, environment, `/resources/${seg(resource.name)}/test-route`);
      setResult(await api.post<DryRunResult>(path, buildDryRun(sample)));
    } catch (caught) {
      setResult(null);
      setError(caught);
    } finally {
      setRunning(false);
    }
  };

  const messageError = errorAt("request.messages");
  return (
    <section className="card" aria-labelledby="test-route-title">
      <h2 id="test-route-title">Test the routing</h2>
      <p className="muted section-description">
        What would a request like this do? The answer comes from the saved configuration; no provider is called.
      </p>
      <form className="form test-route-form" onSubmit={(event) => void run(event)} noValidate>
        <TextArea
          label="Sample message"
          rows={3}
          value={sample.message}
          onChange={(event) => set("message", event.target.value)}
          error={messageError}
        />
        <TextField label="System prompt (optional)" value={sample.system} onChange={(event) => set("system", event.target.value)} />
        <div className="dry-run-row">
          <SelectField
            label="Sent with API key"
            value={sample.apiKey}
            placeholder="(none: as you)"
            options={resource.assignApiKeys.map((name) => ({ value: name, label: name }))}
            hint="Rules on apiKeyName or apiKeyLabels see this key."
            onChange={(event) => set("apiKey", event.target.value)}
            error={errorAt("apiKey")}
          />
          <TextField
            label="max_tokens"
            type="number"
            min={1}
            value={sample.maxTokens}
            onChange={(event) => set("maxTokens", event.target.value)}
            error={errorAt("request.max_tokens")}
          />
        </div>
        <CheckboxField label="Streamed request" checked={sample.stream} onChange={(event) => set("stream", event.target.checked)} />
        <TextArea
          label="Request headers"
          rows={2}
          placeholder="x-tier: premium"
          hint="One per line, name: value."
          value={sample.headers}
          onChange={(event) => set("headers", event.target.value)}
          error={errorAt("headers")}
        />
        <TextArea
          label="More request fields (JSON)"
          rows={3}
          placeholder='{"metadata": {"team": "search"}, "tools": []}'
          hint="Merged into the request body: metadata, tools, temperature, …"
          value={sample.extra}
          onChange={(event) => set("extra", event.target.value)}
          error={errorAt("request")}
        />
        <fieldset className="clause-group">
          <legend className="field-label">Simulated error rates</legend>
          <div className="field-hint">Pretend recent requests to a model failed this often (for rules on errorRate).</div>
          {errorAt("errorRates") ? (
            <div className="field-error" role="alert">
              {errorAt("errorRates")}
            </div>
          ) : null}
          {sample.rates.map((row, index) => {
            const base = `errorRates[${index}]`;
            const name = `Error rate ${index + 1}`;
            return (
              <div className="rate-row" key={row.key} role="group" aria-label={name}>
                <TextField label="Provider" aria-label={`${name} provider`} value={row.provider} onChange={(e) => setRate(index, { provider: e.target.value })} error={errorAt(`${base}.provider`)} />
                <TextField label="Model" aria-label={`${name} model`} value={row.model} onChange={(e) => setRate(index, { model: e.target.value })} error={errorAt(`${base}.model`)} />
                <TextField label="Failed (%)" aria-label={`${name} percent`} type="number" min={0} max={100} value={row.rate} onChange={(e) => setRate(index, { rate: e.target.value })} error={errorAt(`${base}.rate`)} />
                <TextField label="Status" aria-label={`${name} status`} value={row.status} onChange={(e) => setRate(index, { status: e.target.value })} error={errorAt(`${base}.status`)} />
                <div className="clause-remove">
                  <Button size="small" variant="ghost" aria-label={`Remove error rate ${index + 1}`} onClick={() => set("rates", sample.rates.filter((_, i) => i !== index))}>
                    ✕
                  </Button>
                </div>
                {errorAt(base) ? (
                  <div className="field-error clause-error" role="alert">
                    {errorAt(base)}
                  </div>
                ) : null}
              </div>
            );
          })}
          <div>
            <Button
              size="small"
              onClick={() =>
                set("rates", [
                  ...sample.rates,
                  { key: newKey(), provider: resource.model.provider, model: resource.model.model, rate: "50", status: "5xx" },
                ])
              }
            >
              Add error rate
            </Button>
          </div>
        </fieldset>
        {placement.unclaimed ? <ErrorBanner error={placement.unclaimed} /> : null}
        <div className="form-actions">
          <Button type="submit" variant="primary" busy={running}>
            Test route
          </Button>
        </div>
      </form>
      {result ? <DryRunAnswer result={result} resource={resource} /> : null}
    </section>
  );
}

function DryRunAnswer({ result, resource }: { result: DryRunResult; resource: Resource }) {
  return (
    <div className="dry-run-result" role="region" aria-label="Dry run result">
      <dl className="details">
        <dt>Matched</dt>
        <dd data-testid="dry-run-rule">{ruleLabel(result.rule, resource)}</dd>
      </dl>
      {result.blocked ? (
        <Notice tone="warning">Blocked: {result.message ?? "the request would be refused"}</Notice>
      ) : null}
      {!result.blocked ? (
        <>
          <h3>Chain</h3>
          {result.chain.length === 0 ? (
            <p className="muted">No model to try.</p>
          ) : (
            <ol className="chain-list" aria-label="Chain">
              {result.chain.map((step, index) => (
                <li key={index}>
                  <strong>
                    {step.provider}/{step.model}
                  </strong>{" "}
                  {step.connection ? (
                    <span className="muted">via {step.connection.name}</span>
                  ) : (
                    <span className="field-error">no connection{step.note ? `: ${step.note}` : ""}</span>
                  )}
                  {step.connection && step.note ? <span className="muted"> — {step.note}</span> : null}
                </li>
              ))}
            </ol>
          )}
        </>
      ) : null}
      <h3>Routing events</h3>
      {result.events.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <ul className="event-list" aria-label="Routing events">
          {result.events.map((line, index) => (
            <li key={index}>
              <code>{line}</code>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
