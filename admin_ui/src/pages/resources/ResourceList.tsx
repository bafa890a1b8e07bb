// The environment's resources: name, primary model, routing, fallback chain and keys.

import { Link, useNavigate } from "react-router-dom";
import { envPath, seg } from "../../api/client";
import type { Page, Resource } from "../../api/types";
import { ButtonLink, DataTable, EmptyState, ErrorBanner, Loading, PageHeader, type Column } from "../../components";
import { useApi } from "../../hooks/useApi";
import { scopePath, useEnvironmentScope, type Scope } from "../../layout/scope";
import { Can } from "../../permissions/Permissions";
import { aiResourceResource } from "../../permissions/resources";
import { describeModel } from "./models";

function routingText(resource: Resource): string {
  const rules = resource.routing?.conditions?.length ?? 0;
  const on = Boolean(resource.routing) && resource.routing?.enabled !== false && rules > 0;
  const count = `${rules} rule${rules === 1 ? "" : "s"}`;
  if (!resource.routing || rules === 0) return "Off";
  return on ? `On · ${count}` : `Off · ${count}`;
}

function fallbackText(resource: Resource): string {
  if (resource.fallbackModels.length === 0) return "None";
  const chain = resource.fallbackModels.map((spec) => `${spec.provider}/${spec.model}`).join(" → ");
  return resource.useFallback ? chain : `Off (${chain})`;
}

function columns(scope: Scope): Column<Resource>[] {
  return [
    {
      key: "name",
      header: "Name",
      render: (r) => <Link to={scopePath(scope, "resources", `/${seg(r.name)}`)}>{r.name}</Link>,
    },
    { key: "model", header: "Primary model", render: (r) => describeModel(r.model) },
    { key: "routing", header: "Routing", render: routingText },
    { key: "fallback", header: "Fallback", render: fallbackText, wide: true },
    {
      key: "keys",
      header: "API keys",
      render: (r) => (r.assignApiKeys.length ? r.assignApiKeys.join(", ") : <span className="muted">none</span>),
      wide: true,
    },
  ];
}

export function ResourceListPage() {
  const scope = useEnvironmentScope();
  const navigate = useNavigate();
  const loaded = useApi<Page<Resource>>(envPath(scope.workspace, scope.environment, "/resources"), { limit: 500 });
  const create = (
    <Can action="ai-resource:create" resource={aiResourceResource(scope.workspace, scope.environment)}>
      <ButtonLink variant="primary" to={scopePath(scope, "resources", "/new")}>
        New resource
      </ButtonLink>
    </Can>
  );
  return (
    <section className="page">
      <PageHeader
        title="Resources"
        description="The names applications call as their model: each routes, falls back and is limited as set here."
        actions={create}
      />
      {loaded.loading ? (
        <Loading label="Loading resources…" />
      ) : loaded.error ? (
        <ErrorBanner error={loaded.error} onRetry={loaded.reload} />
      ) : (
        <DataTable
          caption="Resources"
          columns={columns(scope)}
          rows={loaded.data?.items ?? []}
          rowKey={(r) => r.id}
          onRowClick={(r) => navigate(scopePath(scope, "resources", `/${seg(r.name)}`))}
          empty={
            <EmptyState title="No resources yet" action={create}>
              A resource is what applications call: a primary model, optional routing rules and fallbacks, and limits.
            </EmptyState>
          }
        />
      )}
    </section>
  );
}
