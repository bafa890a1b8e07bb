// Connections of an environment: the provider accounts it calls.
// Routes (under /w/:ws/e/:env/connections): "" list, "new", ":name", ":name/edit".

import { Link, useParams } from "react-router-dom";
import { envPath, seg } from "../../api/client";
import type { Connection, Page, Provider } from "../../api/types";
import {
  ButtonLink,
  DataTable,
  EmptyState,
  ErrorBanner,
  Loading,
  Notice,
  PageHeader,
  capacitySummary,
} from "../../components";
import { useApi } from "../../hooks/useApi";
import { EnvironmentAreaRoutes } from "../../layout/AreaRoutes";
import { scopePath, type Scope } from "../../layout/scope";
import { Can } from "../../permissions/Permissions";
import { connectionResource } from "../../permissions/resources";
import { ConnectionDetail } from "./ConnectionDetail";
import { ConnectionForm } from "./ConnectionForm";

const DESCRIPTION = "The provider accounts this environment calls, with their capacity and allowed models.";

function useProviders() {
  return useApi<Provider[]>("/providers");
}

function NewConnectionButton({ scope }: { scope: Scope }) {
  return (
    <Can action="ai-connection:create" resource={connectionResource(scope.workspace, scope.environment)}>
      <ButtonLink to={scopePath(scope, "connections", "/new")} variant="primary">
        New connection
      </ButtonLink>
    </Can>
  );
}

function modelsSummary(models: string[] | null): string {
  if (models === null) return "Every model";
  if (models.length === 0) return "None";
  return models.length > 3 ? `${models.slice(0, 3).join(", ")} and ${models.length - 3} more` : models.join(", ");
}

function ConnectionList({ scope }: { scope: Scope }) {
  const { data, error, loading, reload } = useApi<Page<Connection>>(
    envPath(scope.workspace, scope.environment, "/connections"),
    { limit: 500 },
  );
  const providers = useProviders();
  const displayName = (name: string) => providers.data?.find((p) => p.name === name)?.displayName ?? name;

  return (
    <section className="page">
      <PageHeader title="Connections" description={DESCRIPTION} actions={<NewConnectionButton scope={scope} />} />
      {loading && !data ? <Loading label="Loading connections…" /> : null}
      {error ? <ErrorBanner error={error} onRetry={reload} /> : null}
      {data ? (
        <DataTable
          caption="Connections"
          rows={data.items}
          rowKey={(row) => row.id}
          empty={
            <EmptyState title="No connections yet" action={<NewConnectionButton scope={scope} />}>
              A connection holds a provider account's settings and credentials (an OpenAI key, an AWS role…).
              Resources route requests to connections.
            </EmptyState>
          }
          columns={[
            {
              key: "name",
              header: "Name",
              render: (row) => <Link to={scopePath(scope, "connections", `/${seg(row.name)}`)}>{row.name}</Link>,
            },
            { key: "provider", header: "Provider", render: (row) => displayName(row.provider) },
            { key: "models", header: "Models", wide: true, render: (row) => modelsSummary(row.allowedModels) },
            { key: "capacity", header: "Capacity", wide: true, render: (row) => capacitySummary(row.capacity) },
          ]}
        />
      ) : null}
    </section>
  );
}

function NewConnection({ scope }: { scope: Scope }) {
  const providers = useProviders();
  return (
    <section className="page">
      <PageHeader title="New connection" description="A provider account this environment may call." />
      {providers.loading ? <Loading label="Loading providers…" /> : null}
      {providers.error ? <ErrorBanner error={providers.error} onRetry={providers.reload} /> : null}
      {providers.data ? (
        <Can
          action="ai-connection:create"
          resource={connectionResource(scope.workspace, scope.environment)}
          fallback={<Notice tone="warning">You may not create connections in this environment.</Notice>}
        >
          <div className="card">
            <ConnectionForm scope={scope} providers={providers.data} />
          </div>
        </Can>
      ) : null}
    </section>
  );
}

function EditConnection({ scope }: { scope: Scope }) {
  const { name = "" } = useParams();
  const providers = useProviders();
  const connection = useApi<Connection>(envPath(scope.workspace, scope.environment, `/connections/${seg(name)}`));
  const error = providers.error ?? connection.error;
  return (
    <section className="page">
      <PageHeader title={`Edit ${name}`} />
      {providers.loading || connection.loading ? <Loading /> : null}
      {error ? (
        <ErrorBanner
          error={error}
          onRetry={() => {
            providers.reload();
            connection.reload();
          }}
        />
      ) : null}
      {providers.data && connection.data ? (
        <Can
          action="ai-connection:update"
          resource={connectionResource(scope.workspace, scope.environment, name)}
          fallback={<Notice tone="warning">You may not change this connection.</Notice>}
        >
          <div className="card">
            <ConnectionForm key={connection.data.id} scope={scope} providers={providers.data} connection={connection.data} />
          </div>
        </Can>
      ) : null}
    </section>
  );
}

function ShowConnection({ scope }: { scope: Scope }) {
  const { name = "" } = useParams();
  const providers = useProviders();
  if (providers.loading && !providers.data) return <Loading />;
  return <ConnectionDetail key={name} scope={scope} name={name} providers={providers.data ?? []} />;
}

export default function ConnectionsPage() {
  return <EnvironmentAreaRoutes list={ConnectionList} create={NewConnection} show={ShowConnection} edit={EditConnection} />;
}
