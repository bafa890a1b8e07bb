// One connection: its settings, which credentials are set, models, capacity (configured, in
// use, discovered), the Test button, and edit / delete for those who may.

import { useState } from "react";
import { useNavigate } from "react-router-dom";
import { api, envPath, seg } from "../../api/client";
import type { Connection, ConnectionCapacityUsage, Provider } from "../../api/types";
import {
  Button,
  ButtonLink,
  ConfirmDialog,
  ErrorBanner,
  Loading,
  PageHeader,
  capacitySummary,
  humanize,
  schemaFields,
} from "../../components";
import { useApi } from "../../hooks/useApi";
import { scopePath, type Scope } from "../../layout/scope";
import { usePermissions } from "../../permissions/Permissions";
import { connectionResource } from "../../permissions/resources";
import { ConnectionCapacity } from "./ConnectionCapacity";
import { ConnectionTestPanel } from "./ConnectionTestPanel";
import { formatTime } from "./format";

function settingValue(value: unknown): string {
  if (value === null || value === undefined || value === "") return "—";
  if (Array.isArray(value)) return value.length ? value.join(", ") : "—";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export function ConnectionDetail({ scope, name, providers }: { scope: Scope; name: string; providers: Provider[] }) {
  const navigate = useNavigate();
  const path = envPath(scope.workspace, scope.environment, `/connections/${seg(name)}`);
  const { data: connection, error, loading, reload } = useApi<Connection>(path);
  const capacity = useApi<ConnectionCapacityUsage>(connection ? `${path}/capacity` : null);
  const [deleting, setDeleting] = useState(false);
  const resource = connectionResource(scope.workspace, scope.environment, name);
  const { can } = usePermissions([
    { action: "ai-connection:update", resource },
    { action: "ai-connection:delete", resource },
  ]);

  if (loading && !connection) return <Loading label="Loading the connection…" />;
  if (error || !connection) {
    return (
      <section className="page">
        <PageHeader title={name} />
        <ErrorBanner error={error ?? "not found"} onRetry={reload} />
      </section>
    );
  }

  const provider = providers.find((p) => p.name === connection.provider);
  const settingFields = provider ? schemaFields(provider.settingsSchema) : [];
  const settingNames = [
    ...settingFields.map((field) => field.name),
    ...Object.keys(connection.settings).filter((key) => !settingFields.some((field) => field.name === key)),
  ];
  const labelOf = (key: string) => settingFields.find((field) => field.name === key)?.label ?? humanize(key);
  const credentials = provider
    ? schemaFields(provider.credentialsSchema)
    : connection.credentialFields.map((key) => ({ name: key, label: humanize(key) }));

  return (
    <section className="page">
      <PageHeader
        title={connection.name}
        description={connection.description || `${provider?.displayName ?? connection.provider} connection`}
        actions={
          <>
            {can("ai-connection:update", resource) ? (
              <ButtonLink to={scopePath(scope, "connections", `/${seg(connection.name)}/edit`)} variant="primary">
                Edit
              </ButtonLink>
            ) : null}
            {can("ai-connection:delete", resource) ? (
              <Button variant="danger" onClick={() => setDeleting(true)}>
                Delete
              </Button>
            ) : null}
          </>
        }
      />

      <div className="detail-grid">
        <section className="card" aria-labelledby="connection-overview-title">
          <h2 id="connection-overview-title">Overview</h2>
          <dl className="details">
            <dt>Provider</dt>
            <dd>{provider?.displayName ?? connection.provider}</dd>
            {settingNames.map((key) => (
              <div className="details-row" key={key}>
                <dt>{labelOf(key)}</dt>
                <dd className="break">{settingValue(connection.settings[key])}</dd>
              </div>
            ))}
            {credentials.map((field) => (
              <div className="details-row" key={`credential-${field.name}`}>
                <dt>{field.label}</dt>
                <dd>{connection.credentialFields.includes(field.name) ? "Set (hidden)" : "Not set"}</dd>
              </div>
            ))}
            <dt>Allowed models</dt>
            <dd>
              {connection.allowedModels === null ? (
                "Every model"
              ) : connection.allowedModels.length === 0 ? (
                "None"
              ) : (
                <ul className="chips" aria-label="Allowed models">
                  {connection.allowedModels.map((model) => (
                    <li key={model} className="chip">
                      {model}
                    </li>
                  ))}
                </ul>
              )}
            </dd>
            <dt>Capacity</dt>
            <dd>{capacitySummary(connection.capacity)}</dd>
            <dt>Announced limits</dt>
            <dd>{connection.enforceDiscoveredCapacity ? "Enforced" : "Shown, not enforced"}</dd>
            <dt>Updated</dt>
            <dd>{formatTime(connection.updatedAt)}</dd>
          </dl>
        </section>

        {can("ai-connection:update", resource) ? (
          <ConnectionTestPanel
            scope={scope}
            connection={connection}
            knownModels={provider?.knownModels ?? []}
            onTested={capacity.reload}
          />
        ) : null}
      </div>

      <ConnectionCapacity
        usage={capacity.data}
        error={capacity.error}
        loading={capacity.loading}
        reload={capacity.reload}
      />

      <ConfirmDialog
        open={deleting}
        title={`Delete connection ${connection.name}?`}
        confirmLabel="Delete connection"
        onClose={() => setDeleting(false)}
        onConfirm={async () => {
          await api.delete(path);
          navigate(scopePath(scope, "connections"));
        }}
      >
        <p>
          Its credentials are deleted with it. Resources that use <strong>{connection.name}</strong> will fail over or
          fail until they name another connection.
        </p>
      </ConfirmDialog>
    </section>
  );
}
