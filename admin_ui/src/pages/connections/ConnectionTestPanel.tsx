// The Test button: a minimal real call through the connection (POST .../test), showing the
// answer or the provider's error, and how long it took.

import { useId, useState } from "react";
import { api, envPath, seg } from "../../api/client";
import type { Connection, ConnectionTestResult } from "../../api/types";
import { Button, ErrorBanner, TextField, fieldError } from "../../components";
import type { Scope } from "../../layout/scope";
import { formatCount } from "./format";

export function ConnectionTestPanel({
  scope,
  connection,
  knownModels,
  onTested,
}: {
  scope: Scope;
  connection: Connection;
  knownModels: string[];
  /** After a test (the discovered capacity may have changed). */
  onTested: () => void;
}) {
  const listId = useId();
  const [model, setModel] = useState("");
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ConnectionTestResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const candidates = [...(connection.allowedModels ?? []), ...knownModels];
  const fallbackModel = candidates[0];

  const run = async () => {
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const path = envPath(scope.workspace, scope.environment, `/connections/${seg(connection.name)}/test`);
      setResult(await api.post<ConnectionTestResult>(path, { model: model.trim() || null }));
      onTested();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-labelledby="connection-test-title">
      <h2 id="connection-test-title">Test the connection</h2>
      <p className="muted">Sends one short chat request to the provider with these credentials (it may cost a little).</p>
      <div className="connection-test-row">
        <TextField
          label="Model to test with"
          list={listId}
          placeholder={fallbackModel ? `Default: ${fallbackModel}` : "Model name"}
          value={model}
          onChange={(event) => setModel(event.target.value)}
          error={fieldError(error, "model")}
        />
        <datalist id={listId}>
          {[...new Set(candidates)].map((name) => (
            <option key={name} value={name} />
          ))}
        </datalist>
        <Button variant="primary" busy={busy} onClick={() => void run()}>
          Test connection
        </Button>
      </div>
      {error && !fieldError(error, "model") ? <ErrorBanner error={error} title="The test could not run" /> : null}
      {result ? <TestResult result={result} /> : null}
    </section>
  );
}

function TestResult({ result }: { result: ConnectionTestResult }) {
  const limits = result.discovered;
  return (
    <div
      className={`banner ${result.ok ? "banner-success" : "banner-error"} connection-test-result`}
      role={result.ok ? "status" : "alert"}
      aria-label="Test result"
    >
      <div className="banner-body">
        {result.ok ? (
          <>
            <strong className="banner-title">The connection works</strong>
            <span>
              {result.model} answered in {result.latencyMs} ms: <q>{result.answer ?? ""}</q>
            </span>
          </>
        ) : (
          <>
            <strong className="banner-title">The provider refused the call</strong>
            <span>{result.message ?? "No message."}</span>
            <span className="banner-meta">
              {[
                `model ${result.model}`,
                result.status != null ? `status ${result.status}` : "",
                result.errorClass ? `error class ${result.errorClass}` : "",
                `${result.latencyMs} ms`,
              ]
                .filter(Boolean)
                .join(" · ")}
            </span>
          </>
        )}
        {limits && (limits.requestsLimit != null || limits.tokensLimit != null) ? (
          <span className="banner-meta">
            Announced limits:{" "}
            {[
              limits.requestsLimit != null ? `${formatCount(limits.requestsLimit)} requests` : "",
              limits.tokensLimit != null ? `${formatCount(limits.tokensLimit)} tokens` : "",
            ]
              .filter(Boolean)
              .join(", ")}
          </span>
        ) : null}
      </div>
    </div>
  );
}
