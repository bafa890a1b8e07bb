// API keys of an environment: what applications call its resources with.
// Routes (under /w/:ws/e/:env/api-keys): "" list, "new", ":name", ":name/edit".

import { useState } from "react";
import { useLocation, useNavigate, useParams } from "react-router-dom";
import { envPath, seg } from "../../api/client";
import type { ApiKey, ApiKeyCreated, Page } from "../../api/types";
import {
  ButtonLink,
  DataTable,
  EmptyState,
  ErrorBanner,
  Loading,
  Notice,
  PageHeader,
} from "../../components";
import { useApi } from "../../hooks/useApi";
import { EnvironmentAreaRoutes } from "../../layout/AreaRoutes";
import { scopePath, type Scope } from "../../layout/scope";
import { Can } from "../../permissions/Permissions";
import { apiKeyResource } from "../../permissions/resources";
import { formatTime, relativeTime } from "../connections/format";
import { ApiKeyDetail } from "./ApiKeyDetail";
import { ApiKeyForm } from "./ApiKeyForm";
import { KeyLink, SecretOnce, StatusBadge, keyStatus } from "./keyParts";

const DESCRIPTION = "Keys applications use to call this environment's resources.";

function NewKeyButton({ scope }: { scope: Scope }) {
  return (
    <Can action="api-key:create" resource={apiKeyResource(scope.workspace, scope.environment)}>
      <ButtonLink to={scopePath(scope, "api-keys", "/new")} variant="primary">
        New API key
      </ButtonLink>
    </Can>
  );
}

function ApiKeyList({ scope }: { scope: Scope }) {
  const { data, error, loading, reload } = useApi<Page<ApiKey>>(
    envPath(scope.workspace, scope.environment, "/api-keys"),
    { limit: 500 },
  );
  const revoked = (useLocation().state as { revoked?: string } | null)?.revoked;
  return (
    <section className="page">
      <PageHeader title="API keys" description={DESCRIPTION} actions={<NewKeyButton scope={scope} />} />
      {revoked ? <Notice tone="success">Key {revoked} was revoked.</Notice> : null}
      {loading && !data ? <Loading label="Loading API keys…" /> : null}
      {error ? <ErrorBanner error={error} onRetry={reload} /> : null}
      {data ? (
        <DataTable
          caption="API keys"
          rows={data.items}
          rowKey={(row) => row.id}
          empty={
            <EmptyState title="No API keys yet" action={<NewKeyButton scope={scope} />}>
              Applications send an API key to call this environment's resources through the OpenAI-compatible
              /v1 endpoints.
            </EmptyState>
          }
          columns={[
            { key: "name", header: "Name", render: (row) => <KeyLink scope={scope} name={row.name} /> },
            { key: "key", header: "Key", wide: true, render: (row) => <code>{row.maskedKey}</code> },
            {
              key: "resources",
              header: "Resources",
              render: (row) => (row.resources.length ? row.resources.join(", ") : <span className="muted">None</span>),
            },
            { key: "status", header: "Status", render: (row) => <StatusBadge status={keyStatus(row)} /> },
            { key: "used", header: "Last used", wide: true, render: (row) => relativeTime(row.lastUsedAt) },
            { key: "created", header: "Created", wide: true, render: (row) => formatTime(row.createdAt) },
          ]}
        />
      ) : null}
    </section>
  );
}

function NewKey({ scope }: { scope: Scope }) {
  // The secret lives in this component's state only: leaving the page forgets it.
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  return (
    <section className="page">
      <PageHeader title={created ? `API key ${created.name} created` : "New API key"} description={DESCRIPTION} />
      {created ? (
        <SecretOnce created={created} title="The key's secret">
          <div className="form-actions">
            <ButtonLink to={scopePath(scope, "api-keys", `/${seg(created.name)}`)} variant="primary">
              Done
            </ButtonLink>
          </div>
        </SecretOnce>
      ) : (
        <Can
          action="api-key:create"
          resource={apiKeyResource(scope.workspace, scope.environment)}
          fallback={<Notice tone="warning">You may not create API keys in this environment.</Notice>}
        >
          <div className="card">
            <ApiKeyForm scope={scope} onCreated={setCreated} />
          </div>
        </Can>
      )}
    </section>
  );
}

function EditKey({ scope }: { scope: Scope }) {
  const { name = "" } = useParams();
  const navigate = useNavigate();
  const { data, error, loading, reload } = useApi<ApiKey>(
    envPath(scope.workspace, scope.environment, `/api-keys/${seg(name)}`),
  );
  return (
    <section className="page">
      <PageHeader title={`Edit ${name}`} />
      {loading ? <Loading /> : null}
      {error ? <ErrorBanner error={error} onRetry={reload} /> : null}
      {data ? (
        <Can
          action="api-key:update"
          resource={apiKeyResource(scope.workspace, scope.environment, name)}
          fallback={<Notice tone="warning">You may not change this key.</Notice>}
        >
          <div className="card">
            <ApiKeyForm
              key={data.id}
              scope={scope}
              apiKey={data}
              onSaved={(saved) => navigate(scopePath(scope, "api-keys", `/${seg(saved.name)}`))}
            />
          </div>
        </Can>
      ) : null}
    </section>
  );
}

function ShowKey({ scope }: { scope: Scope }) {
  const { name = "" } = useParams();
  return <ApiKeyDetail key={name} scope={scope} name={name} />;
}

export default function ApiKeysPage() {
  return <EnvironmentAreaRoutes list={ApiKeyList} create={NewKey} show={ShowKey} edit={EditKey} />;
}
