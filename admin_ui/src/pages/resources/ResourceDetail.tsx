// One resource: its configuration as read, the routing dry run, and (for those allowed)
// edit and delete.

import { useState } from "react";
import { useNavigate, useParams } from "react-router-dom";
import { api, envPath, seg } from "../../api/client";
import type { Resource } from "../../api/types";
import {
  Button,
  ButtonLink,
  capacitySummary,
  ConfirmDialog,
  ErrorBanner,
  Loading,
  PageHeader,
} from "../../components";
import { useApi } from "../../hooks/useApi";
import { scopePath, useEnvironmentScope } from "../../layout/scope";
import { usePermissions } from "../../permissions/Permissions";
import { aiResourceResource } from "../../permissions/resources";
import { describeModel } from "./models";
import { clauseField, clauseValue, routingFromApi, type ClauseDraft, type RuleDraft } from "./routing";
import { TestRoutePanel } from "./TestRoutePanel";

function clauseText(clause: ClauseDraft): string {
  const { has, value } = clauseValue(clause);
  const shown = has ? ` ${JSON.stringify(value)}` : "";
  const field = clause.field === "errorRate" ? `errorRate(${clause.window}m, ${clause.status})` : clauseField(clause);
  return `${field} ${clause.operator}${shown}`;
}

function ruleCondition(rule: RuleDraft, advanced: boolean): string {
  if (advanced) return rule.expression;
  const parts = rule.if.map(clauseText);
  if (rule.any.length) parts.push(`any of (${rule.any.map(clauseText).join("; ")})`);
  return parts.length ? parts.join(" and ") : "every request";
}

function RoutingSummary({ resource }: { resource: Resource }) {
  const routing = routingFromApi(resource.routing);
  if (routing.rules.length === 0) return <span className="muted">No rules</span>;
  return (
    <div>
      <div>
        {routing.enabled ? "On" : "Off"} · {routing.rules.length} rule{routing.rules.length === 1 ? "" : "s"}
        {routing.mode === "advanced" ? " · expressions" : ""}
      </div>
      <ol className="summary-rules">
        {routing.rules.map((rule) => (
          <li key={rule.key}>
            {rule.description ? <strong>{rule.description}: </strong> : null}
            <code>{ruleCondition(rule, routing.mode === "advanced")}</code> →{" "}
            {rule.action === "block" ? "block" : describeModel(rule.target)}
            {rule.traffic ? ` (${rule.traffic}% of matches)` : ""}
          </li>
        ))}
      </ol>
    </div>
  );
}

export function ResourceDetailPage() {
  const scope = useEnvironmentScope();
  const navigate = useNavigate();
  const { name = "" } = useParams();
  const path = envPath(scope.workspace, scope.environment, `/resources/${seg(name)}`);
  const loaded = useApi<Resource>(path);
  const [deleting, setDeleting] = useState(false);
  const policyName = aiResourceResource(scope.workspace, scope.environment, name);
  const { can } = usePermissions([
    { action: "ai-resource:update", resource: policyName },
    { action: "ai-resource:delete", resource: policyName },
    { action: "completion:execute", resource: policyName },
  ]);
  const back = scopePath(scope, "resources");

  if (loaded.loading) return <Loading label="Loading the resource…" />;
  const resource = loaded.data;
  if (loaded.error || !resource) {
    return (
      <section className="page">
        <PageHeader title={name} />
        <ErrorBanner error={loaded.error} onRetry={loaded.reload} />
        <ButtonLink to={back}>Back to resources</ButtonLink>
      </section>
    );
  }
  return (
    <section className="page">
      <PageHeader
        title={resource.name}
        description={resource.description || "Applications call this resource by its name."}
        actions={
          <>
            {can("completion:execute", policyName) ? (
              <ButtonLink to={`${scopePath(scope, "playground")}?resource=${seg(resource.name)}`}>Open in playground</ButtonLink>
            ) : null}
            {can("ai-resource:update", policyName) ? (
              <ButtonLink variant="primary" to={scopePath(scope, "resources", `/${seg(resource.name)}/edit`)}>
                Edit
              </ButtonLink>
            ) : null}
            {can("ai-resource:delete", policyName) ? (
              <Button variant="danger" onClick={() => setDeleting(true)}>
                Delete
              </Button>
            ) : null}
          </>
        }
      />
      <section className="card" aria-label="Configuration">
        <dl className="details resource-details">
          <dt>Primary model</dt>
          <dd>{describeModel(resource.model)}</dd>
          <dt>Routing</dt>
          <dd>
            <RoutingSummary resource={resource} />
          </dd>
          <dt>Fallback</dt>
          <dd>
            {resource.fallbackModels.length === 0 ? (
              <span className="muted">{resource.useFallback ? "On, but no models" : "Off"}</span>
            ) : (
              <>
                {resource.useFallback ? "On" : "Off (kept)"}
                <ol className="summary-rules" aria-label="Fallback chain">
                  {resource.fallbackModels.map((spec, index) => (
                    <li key={index}>{describeModel(spec)}</li>
                  ))}
                </ol>
              </>
            )}
          </dd>
          <dt>Capacity</dt>
          <dd>
            {capacitySummary(resource.capacity)}
            {resource.capacity.length ? (resource.enforceCapacity ? " · enforced" : " · counted, not enforced") : ""}
          </dd>
          {resource.maxQueueWaitMs !== null ? (
            <>
              <dt>Longest wait</dt>
              <dd>{resource.maxQueueWaitMs} ms</dd>
            </>
          ) : null}
          <dt>API keys</dt>
          <dd>{resource.assignApiKeys.length ? resource.assignApiKeys.join(", ") : <span className="muted">None assigned</span>}</dd>
        </dl>
      </section>
      <TestRoutePanel resource={resource} workspace={scope.workspace} environment={scope.environment} />
      <ConfirmDialog
        open={deleting}
        title={`Delete ${resource.name}?`}
        confirmLabel="Delete resource"
        onClose={() => setDeleting(false)}
        onConfirm={async () => {
          await api.delete(path);
          navigate(back);
        }}
      >
        <p>
          Applications calling <strong>{resource.name}</strong> will get errors, and its key assignments go with it. This cannot be
          undone.
        </p>
      </ConfirmDialog>
    </section>
  );
}
