// Route: /w/:ws/e/:env/playground — chat with a resource of the environment, through the
// gateway's data plane, as an application would.
//
// The chat goes to POST /v1/chat/completions with the API key pasted here, never with the
// admin session: the key decides which resources may be called and whose limits count, and
// the request is recorded in the usage and audit like any other. So anyone who reaches the
// page (the menu shows it to users holding completion:execute; a read-only user opening the
// address sees the same page) can chat only with a key of their own; the page changes no
// configuration. The key lives in this component's state, or in this tab's sessionStorage
// when the user asks for it; never in localStorage.

import { useEffect, useRef, useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { envPath, isApiError } from "../../api/client";
import type { Page, Resource } from "../../api/types";
import {
  Button,
  ButtonLink,
  CheckboxField,
  EmptyState,
  ErrorBanner,
  Loading,
  Notice,
  PageHeader,
  SelectField,
  TextArea,
  TextField,
} from "../../components";
import { useApi } from "../../hooks/useApi";
import { scopePath, useEnvironmentScope, type Scope } from "../../layout/scope";
import { Can } from "../../permissions/Permissions";
import { aiResourceResource, apiKeyResource, environmentResource } from "../../permissions/resources";
import { GatewayFailure, sendChat, type ChatMessage, type ChatResult, type GatewayInfo } from "./chat";

const KEY_STORAGE = "switchboard.playground.apiKey";

function storedKey(): string {
  try {
    return sessionStorage.getItem(KEY_STORAGE) ?? "";
  } catch {
    return "";
  }
}

function storeKey(key: string | null): void {
  try {
    if (key) sessionStorage.setItem(KEY_STORAGE, key);
    else sessionStorage.removeItem(KEY_STORAGE);
  } catch {
    // No session storage (private mode): the key stays in the page only.
  }
}

interface Turn {
  id: number;
  role: "user" | "assistant";
  content: string;
  /** Assistant turns: still arriving, done, or stopped (by the user or a broken stream). */
  state?: "streaming" | "done" | "stopped";
}

let turnIds = 0;

export default function PlaygroundPage() {
  const scope = useEnvironmentScope();
  const [search] = useSearchParams();
  const resources = useApi<Page<Resource>>(envPath(scope.workspace, scope.environment, "/resources"), { limit: 500 });
  const [resource, setResource] = useState(search.get("resource") ?? "");
  const [apiKey, setApiKey] = useState(storedKey);
  const [keepKey, setKeepKey] = useState(() => storedKey() !== "");
  const [system, setSystem] = useState("");
  const [stream, setStream] = useState(true);
  const [draft, setDraft] = useState("");
  const [turns, setTurns] = useState<Turn[]>([]);
  const [sending, setSending] = useState(false);
  const [info, setInfo] = useState<GatewayInfo | null>(null);
  const [result, setResult] = useState<ChatResult | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [formError, setFormError] = useState<{ field: "resource" | "apiKey" | "message"; message: string } | null>(null);
  const controller = useRef<AbortController | null>(null);

  const items = resources.data?.items ?? [];
  const listForbidden = isApiError(resources.error, 403);
  useEffect(() => {
    // Start with the first resource when none is chosen.
    if (!resource && items.length > 0) setResource(items[0]!.name);
  }, [items, resource]);
  useEffect(() => () => controller.current?.abort(), []);
  useEffect(() => storeKey(keepKey ? apiKey : null), [keepKey, apiKey]);

  const send = async (event?: FormEvent) => {
    event?.preventDefault();
    if (sending) return;
    const content = draft.trim();
    if (!resource.trim()) return setFormError({ field: "resource", message: "Choose a resource." });
    if (!apiKey.trim()) return setFormError({ field: "apiKey", message: "Paste an API key of this environment." });
    if (!content) return setFormError({ field: "message", message: "Write a message." });
    setFormError(null);
    setFailure(null);
    setResult(null);
    setInfo(null);
    const history: ChatMessage[] = [
      ...(system.trim() ? [{ role: "system" as const, content: system }] : []),
      ...turns.map((t) => ({ role: t.role, content: t.content })),
      { role: "user", content },
    ];
    const questionId = ++turnIds;
    const answerId = ++turnIds;
    setTurns((current) => [
      ...current,
      { id: questionId, role: "user", content },
      { id: answerId, role: "assistant", content: "", state: "streaming" },
    ]);
    setDraft("");
    const abort = new AbortController();
    controller.current = abort;
    setSending(true);
    const update = (change: (turn: Turn) => Turn) =>
      setTurns((current) => current.map((turn) => (turn.id === answerId ? change(turn) : turn)));
    try {
      const answer = await sendChat({
        apiKey: apiKey.trim(),
        resource: resource.trim(),
        messages: history,
        stream,
        signal: abort.signal,
        onInfo: setInfo,
        onText: (piece) => update((turn) => ({ ...turn, content: turn.content + piece })),
      });
      update((turn) => ({ ...turn, state: "done" }));
      setResult(answer);
    } catch (caught) {
      if (caught instanceof DOMException && caught.name === "AbortError") {
        update((turn) => ({ ...turn, state: "stopped" }));
      } else {
        const partial = caught instanceof GatewayFailure && caught.partial !== "";
        if (partial) update((turn) => ({ ...turn, state: "stopped" }));
        else {
          // Nothing came back: take the turn back, so the message can be sent again.
          setTurns((current) => current.filter((turn) => turn.id !== answerId && turn.id !== questionId));
          setDraft((current) => current || content);
        }
        setFailure(caught);
      }
    } finally {
      controller.current = null;
      setSending(false);
    }
  };

  const fieldError = (field: "resource" | "apiKey" | "message") =>
    formError?.field === field ? formError.message : null;

  if (resources.loading) return <Loading label="Loading resources…" />;

  return (
    <section className="page playground">
      <PageHeader
        title="Playground"
        description="Chat with a resource of this environment, streamed, as the gateway routes it."
      />
      <Notice>
        <span>
          Requests go to the gateway’s <code>/v1/chat/completions</code> with the API key you paste, as an application’s
          would: the key decides which resources may be called, its limits count, and the request shows in usage and the
          audit log. The key stays in this page{keepKey ? " and this browser tab" : ""}.
        </span>
      </Notice>
      {resources.error && !listForbidden ? <ErrorBanner error={resources.error} onRetry={resources.reload} /> : null}
      {!resources.error && items.length === 0 ? (
        <EmptyState
          title="No resources to chat with"
          action={
            <Can action="ai-resource:create" resource={aiResourceResource(scope.workspace, scope.environment)}>
              <ButtonLink variant="primary" to={scopePath(scope, "resources", "/new")}>
                New resource
              </ButtonLink>
            </Can>
          }
        >
          The playground calls a resource of this environment; this one has none yet.
        </EmptyState>
      ) : (
        <div className="playground-grid">
          <div className="card playground-settings">
            {listForbidden ? (
              <TextField
                label="Resource"
                value={resource}
                hint="The name applications send as the model."
                onChange={(event) => setResource(event.target.value)}
                error={fieldError("resource")}
              />
            ) : (
              <SelectField
                label="Resource"
                value={resource}
                options={items.map((r) => ({ value: r.name, label: r.name }))}
                onChange={(event) => setResource(event.target.value)}
                error={fieldError("resource")}
              />
            )}
            <TextField
              label="API key"
              type="password"
              autoComplete="off"
              spellCheck={false}
              placeholder="sk-sb-…"
              value={apiKey}
              onChange={(event) => setApiKey(event.target.value)}
              error={fieldError("apiKey")}
              hint={
                <>
                  A key assigned to the resource.{" "}
                  <Can action="api-key:create" resource={apiKeyResource(scope.workspace, scope.environment)}>
                    <Link to={scopePath(scope, "api-keys")}>Create one</Link> if you have none.
                  </Can>
                </>
              }
            />
            <CheckboxField
              label="Keep the key for this browser tab"
              hint="In session storage, gone when the tab closes."
              checked={keepKey}
              onChange={(event) => setKeepKey(event.target.checked)}
            />
            <TextArea
              label="System prompt (optional)"
              rows={3}
              value={system}
              onChange={(event) => setSystem(event.target.value)}
            />
            <CheckboxField label="Stream the answer" checked={stream} onChange={(event) => setStream(event.target.checked)} />
          </div>
          <div className="playground-chat">
            <div className="card conversation" role="log" aria-label="Conversation" aria-live="polite">
              {turns.length === 0 ? <p className="muted">Nothing said yet. Write a message below.</p> : null}
              {turns.map((turn) => (
                <div key={turn.id} className={`chat-turn chat-${turn.role}`} data-state={turn.state}>
                  <div className="chat-role">{turn.role === "user" ? "You" : resource || "Assistant"}</div>
                  <div className="chat-content">
                    {turn.content}
                    {turn.state === "streaming" ? <span className="chat-cursor" aria-hidden="true" /> : null}
                  </div>
                  {turn.state === "stopped" ? <div className="chat-note">Stopped.</div> : null}
                </div>
              ))}
            </div>
            {failure ? <FailureBanner failure={failure} /> : null}
            {result || info ? <AnswerDetails scope={scope} info={result?.info ?? info} result={result} /> : null}
            <form className="composer" onSubmit={(event) => void send(event)} noValidate>
              <TextArea
                label="Message"
                rows={3}
                value={draft}
                placeholder="Ask something… (Ctrl+Enter sends)"
                onChange={(event) => setDraft(event.target.value)}
                onKeyDown={(event) => {
                  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) void send();
                }}
                error={fieldError("message")}
              />
              <div className="form-actions">
                {sending ? (
                  <Button variant="danger" onClick={() => controller.current?.abort()}>
                    Stop
                  </Button>
                ) : (
                  <Button type="submit" variant="primary">
                    Send
                  </Button>
                )}
                <Button
                  variant="ghost"
                  disabled={sending || turns.length === 0}
                  onClick={() => {
                    setTurns([]);
                    setResult(null);
                    setInfo(null);
                    setFailure(null);
                  }}
                >
                  Clear conversation
                </Button>
              </div>
            </form>
          </div>
        </div>
      )}
    </section>
  );
}

function AnswerDetails({ scope, info, result }: { scope: Scope; info: GatewayInfo | null; result: ChatResult | null }) {
  const ms = (value: number) => `${Math.round(value)} ms`;
  const retried = Number(info?.attempts ?? "1") > 1;
  return (
    <section className="card answer-details" aria-label="Answer details">
      <dl className="details">
        {info?.provider ? (
          <>
            <dt>Provider</dt>
            <dd data-header="x-switchboard-provider">{info.provider}</dd>
          </>
        ) : null}
        {info?.model ? (
          <>
            <dt>Model</dt>
            <dd data-header="x-switchboard-model">
              {info.model}
              {info.connection ? <span className="muted"> via {info.connection}</span> : null}
            </dd>
          </>
        ) : null}
        {info?.route ? (
          <>
            <dt>Route</dt>
            <dd data-header="x-switchboard-route">{info.route}</dd>
          </>
        ) : null}
        {info?.attempts ? (
          <>
            <dt>Attempts</dt>
            <dd>
              <span data-header="x-switchboard-attempts">{info.attempts}</span>
              {retried ? <span className="muted"> · the models before this one failed</span> : null}
            </dd>
          </>
        ) : null}
        {result?.usage ? (
          <>
            <dt>Tokens</dt>
            <dd>
              {result.usage.promptTokens} prompt + {result.usage.completionTokens} completion = {result.usage.totalTokens}
            </dd>
          </>
        ) : null}
        {result ? (
          <>
            <dt>Time</dt>
            <dd>
              {result.firstTokenMs !== null ? `first token ${ms(result.firstTokenMs)} · ` : ""}
              {ms(result.totalMs)} in all
              {result.finishReason ? ` · finish: ${result.finishReason}` : ""}
            </dd>
          </>
        ) : null}
        {info?.requestId ? (
          <>
            <dt>Request id</dt>
            <dd>
              <code>{info.requestId}</code>
              <Can action="completion-audit:get" resource={environmentResource(scope.workspace, scope.environment)}>
                {" · "}
                <Link to={scopePath(scope, "audit", `/${encodeURIComponent(info.requestId)}`)}>
                  {retried ? "Every attempt in the audit log" : "In the audit log"}
                </Link>
              </Can>
            </dd>
          </>
        ) : null}
      </dl>
    </section>
  );
}

/** The gateway's error as a person reads it: what happened, and what to do. */
function FailureBanner({ failure }: { failure: unknown }) {
  if (!(failure instanceof GatewayFailure)) return <ErrorBanner error={failure} />;
  const title =
    failure.status === 401
      ? "The gateway refused the API key (401)"
      : failure.status === 403
        ? "This key may not call the resource (403)"
        : failure.status === 404
          ? "No such resource for this key (404)"
          : failure.status === 429
            ? "Too many requests (429)"
            : failure.status >= 500
              ? `Every model in the chain failed (${failure.status})`
              : failure.status === 200
                ? "The stream broke off"
                : failure.status === 0
                  ? "The gateway cannot be reached"
                  : `The gateway answered ${failure.status}`;
  const attempts = failure.attempts;
  const summary = attempts.length ? failure.message.slice(0, failure.message.indexOf("attempt 1:")).replace(/[\s—-]+$/, "") : failure.message;
  return (
    <div className="banner banner-error" role="alert">
      <div className="banner-body">
        <strong className="banner-title">{title}</strong>
        <span>{summary}</span>
        {attempts.length ? (
          <ol className="attempt-list" aria-label="Attempts">
            {attempts.map((line) => (
              <li key={line}>{line.replace(/^attempt \d+:\s*/, "")}</li>
            ))}
          </ol>
        ) : null}
        {failure.status === 401 ? (
          <span>Check the key: it must be a key of this environment, enabled and not expired. A key’s secret is shown once, when it is created or rotated.</span>
        ) : null}
        {failure.status === 429 && failure.retryAfter !== null ? (
          <span>Retry after {failure.retryAfter} second{failure.retryAfter === 1 ? "" : "s"}.</span>
        ) : null}
        {failure.info?.requestId ? <span className="banner-meta">Request id {failure.info.requestId}</span> : null}
      </div>
    </div>
  );
}
