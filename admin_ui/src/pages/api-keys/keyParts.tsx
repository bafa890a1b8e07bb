// Pieces the API key pages share: the status, the shown-once secret, the resource picker,
// and expiry conversions between the API (ISO with zone) and <input type="datetime-local">.

import { useId, type ReactNode } from "react";
import { Link } from "react-router-dom";
import { seg } from "../../api/client";
import type { ApiKey, ApiKeyCreated, Resource } from "../../api/types";
import { CopyableValue, ErrorBanner, Loading, Notice } from "../../components";
import { scopePath, type Scope } from "../../layout/scope";

export type KeyStatus = "Active" | "Disabled" | "Expired";

export function keyStatus(key: ApiKey, now = Date.now()): KeyStatus {
  if (!key.enabled) return "Disabled";
  if (key.expiresAt && new Date(key.expiresAt).getTime() <= now) return "Expired";
  return "Active";
}

export function StatusBadge({ status }: { status: KeyStatus }) {
  return <span className={`key-status key-status-${status.toLowerCase()}`}>{status}</span>;
}

/** "2026-01-31T17:00" in the reader's zone, for a datetime-local box. */
export function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(
    date.getMinutes(),
  )}`;
}

/** A datetime-local box's text as ISO 8601 with a zone (null when empty). */
export function fromLocalInput(text: string): string | null {
  if (!text.trim()) return null;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? text : date.toISOString();
}

/** The secret of a key just created or rotated: shown here once, never stored. */
export function SecretOnce({ created, title, children }: { created: ApiKeyCreated; title: string; children?: ReactNode }) {
  return (
    <section className="card secret-once" aria-labelledby="secret-once-title">
      <h2 id="secret-once-title">{title}</h2>
      <Notice tone="warning">
        <strong>Copy the secret now: you will not see it again.</strong> Switchboard keeps only a fingerprint of
        it. If it is lost, rotate the key to get a new one.
      </Notice>
      <CopyableValue label="Secret key" value={created.key} />
      <p className="muted">
        Applications send it as <code>Authorization: Bearer …</code> to this gateway's <code>/v1</code> endpoints
        (OpenAI compatible).
      </p>
      {children}
    </section>
  );
}

/** Checkboxes for the environment's resources; `error` is the API's (`resources[0]`). */
export function ResourcePicker({
  scope,
  resources,
  loading,
  loadError,
  value,
  onChange,
  error,
}: {
  scope: Scope;
  resources: Resource[] | undefined;
  loading: boolean;
  loadError: unknown;
  value: string[];
  onChange: (value: string[]) => void;
  error?: string | null;
}) {
  const id = useId();
  // Names the key has that the list no longer shows (deleted meanwhile) stay choosable.
  const names = [...new Set([...(resources ?? []).map((r) => r.name), ...value])].sort();
  const toggle = (name: string, on: boolean) =>
    onChange(on ? [...value, name] : value.filter((n) => n !== name));
  return (
    <fieldset
      className={`field resource-picker${error ? " field-invalid" : ""}`}
      aria-describedby={`${id}-hint${error ? ` ${id}-error` : ""}`}
    >
      <legend className="field-label">Resources</legend>
      <div id={`${id}-hint`} className="field-hint">
        The resources this key may call (the model name a client sends).
      </div>
      {loading ? <Loading label="Loading resources…" /> : null}
      {loadError ? <ErrorBanner error={loadError} title="The resources cannot be listed" /> : null}
      {!loading && !loadError && names.length === 0 ? (
        <p className="muted">
          This environment has no resources yet. <Link to={scopePath(scope, "resources", "/new")}>Create one</Link>{" "}
          first, or create the key now and assign resources later.
        </p>
      ) : null}
      {names.length > 0 ? (
        <ul className="checkbox-list">
          {names.map((name) => (
            <li key={name}>
              <label className="checkbox-label">
                <input
                  type="checkbox"
                  checked={value.includes(name)}
                  onChange={(event) => toggle(name, event.target.checked)}
                />
                {name}
              </label>
            </li>
          ))}
        </ul>
      ) : null}
      {error ? (
        <div id={`${id}-error`} className="field-error" role="alert">
          {error}
        </div>
      ) : null}
    </fieldset>
  );
}

/** A link to a key's page. */
export function KeyLink({ scope, name }: { scope: Scope; name: string }) {
  return <Link to={scopePath(scope, "api-keys", `/${seg(name)}`)}>{name}</Link>;
}
