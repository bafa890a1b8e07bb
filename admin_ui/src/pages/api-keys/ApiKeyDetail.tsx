// One API key: what it may call, its status and capacity; edit, rotate (a new secret shown
// once) and revoke for those who may.

import { useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import { api, envPath, seg } from "../../api/client";
import type { ApiKey, ApiKeyCreated } from "../../api/types";
import {
  Button,
  ButtonLink,
  ConfirmDialog,
  ErrorBanner,
  Loading,
  Notice,
  PageHeader,
  SelectField,
  capacitySummary,
} from "../../components";
import { useApi } from "../../hooks/useApi";
import { scopePath, type Scope } from "../../layout/scope";
import { usePermissions } from "../../permissions/Permissions";
import { apiKeyResource } from "../../permissions/resources";
import { formatTime, relativeTime } from "../connections/format";
import { SecretOnce, StatusBadge, keyStatus } from "./keyParts";

const GRACE_OPTIONS = [
  { value: "0", label: "Stops working at once" },
  { value: "3600", label: "Keeps working for 1 hour" },
  { value: "86400", label: "Keeps working for 1 day" },
  { value: "604800", label: "Keeps working for 1 week" },
];

export function ApiKeyDetail({ scope, name }: { scope: Scope; name: string }) {
  const navigate = useNavigate();
  const path = envPath(scope.workspace, scope.environment, `/api-keys/${seg(name)}`);
  const { data: key, error, loading, reload } = useApi<ApiKey>(path);
  const [rotating, setRotating] = useState(false);
  const [grace, setGrace] = useState("0");
  const [revoking, setRevoking] = useState(false);
  const [rotated, setRotated] = useState<ApiKeyCreated | null>(null);
  const resource = apiKeyResource(scope.workspace, scope.environment, name);
  const { can } = usePermissions([
    { action: "api-key:update", resource },
    { action: "api-key:delete", resource },
  ]);

  if (loading && !key) return <Loading label="Loading the key…" />;
  if (error || !key) {
    return (
      <section className="page">
        <PageHeader title={name} />
        <ErrorBanner error={error ?? "not found"} onRetry={reload} />
      </section>
    );
  }

  const mayUpdate = can("api-key:update", resource);
  return (
    <section className="page">
      <PageHeader
        title={key.name}
        description={key.description || "An API key applications call this environment's resources with."}
        actions={
          <>
            {mayUpdate ? (
              <ButtonLink to={scopePath(scope, "api-keys", `/${seg(key.name)}/edit`)} variant="primary">
                Edit
              </ButtonLink>
            ) : null}
            {mayUpdate ? <Button onClick={() => setRotating(true)}>Rotate</Button> : null}
            {can("api-key:delete", resource) ? (
              <Button variant="danger" onClick={() => setRevoking(true)}>
                Revoke
              </Button>
            ) : null}
          </>
        }
      />

      {rotated ? (
        <SecretOnce created={rotated} title="The key's new secret">
          <div className="form-actions">
            <Button onClick={() => setRotated(null)}>I have copied it</Button>
          </div>
        </SecretOnce>
      ) : null}

      <section className="card" aria-labelledby="key-overview-title">
        <h2 id="key-overview-title">Overview</h2>
        <dl className="details">
          <dt>Key</dt>
          <dd>
            <code>{key.maskedKey}</code>
          </dd>
          <dt>Status</dt>
          <dd>
            <StatusBadge status={keyStatus(key)} />
          </dd>
          <dt>Resources</dt>
          <dd>
            {key.resources.length === 0 ? (
              <span className="muted">None: the key can call nothing yet.</span>
            ) : (
              <ul className="chips" aria-label="Resources">
                {key.resources.map((resourceName) => (
                  <li key={resourceName} className="chip">
                    <Link to={scopePath(scope, "resources", `/${seg(resourceName)}`)}>{resourceName}</Link>
                  </li>
                ))}
              </ul>
            )}
          </dd>
          <dt>Expires</dt>
          <dd>{key.expiresAt ? formatTime(key.expiresAt) : "Never"}</dd>
          <dt>Capacity</dt>
          <dd>
            {capacitySummary(key.capacity)}
            {key.capacity.length > 0 && !key.enforceCapacity ? " (not enforced)" : ""}
          </dd>
          <dt>Labels</dt>
          <dd>{key.labels.length ? key.labels.join(", ") : "—"}</dd>
          <dt>Last used</dt>
          <dd>{relativeTime(key.lastUsedAt)}</dd>
          <dt>Created</dt>
          <dd>{formatTime(key.createdAt)}</dd>
          {key.previousKeyExpiresAt ? (
            <>
              <dt>Previous secret</dt>
              <dd>Works until {formatTime(key.previousKeyExpiresAt)}</dd>
            </>
          ) : null}
        </dl>
      </section>

      <ConfirmDialog
        open={rotating}
        title={`Rotate key ${key.name}?`}
        confirmLabel="Rotate key"
        danger={false}
        onClose={() => setRotating(false)}
        onConfirm={async () => {
          const answer = await api.post<ApiKeyCreated>(`${path}/rotate`, { gracePeriodSeconds: Number(grace) });
          setRotated(answer);
          reload();
        }}
      >
        <p>The key gets a new secret, shown once. Applications must switch to it.</p>
        <SelectField
          label="The current secret"
          options={GRACE_OPTIONS}
          value={grace}
          onChange={(event) => setGrace(event.target.value)}
        />
      </ConfirmDialog>

      <ConfirmDialog
        open={revoking}
        title={`Revoke key ${key.name}?`}
        confirmLabel="Revoke key"
        onClose={() => setRevoking(false)}
        onConfirm={async () => {
          await api.delete(path);
          navigate(scopePath(scope, "api-keys"), { state: { revoked: key.name } });
        }}
      >
        <p>
          Applications using <strong>{key.name}</strong> are refused from now on. This cannot be undone.
        </p>
        {keyStatus(key) !== "Active" ? <Notice>The key is not active now anyway.</Notice> : null}
      </ConfirmDialog>
    </section>
  );
}
