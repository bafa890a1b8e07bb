// A workspace's environments: the list (each links into its pages), a new one, and delete.

import { useState } from "react";
import { Link } from "react-router-dom";
import { api, envPath, isApiError, seg } from "../../api/client";
import type { Environment, EnvironmentCreate, Page } from "../../api/types";
import {
  Button,
  ButtonLink,
  DataTable,
  EmptyState,
  ErrorBanner,
  Loading,
} from "../../components";
import { useApi } from "../../hooks/useApi";
import { forgetScope, rememberedScope, scopePath } from "../../layout/scope";
import { Can, usePermissions } from "../../permissions/Permissions";
import { environmentResource } from "../../permissions/resources";
import { ForceDeleteDialog, NameDescriptionDialog } from "./dialogs";

const PAYLOAD_LABELS: Record<string, string> = {
  off: "No payloads",
  metadata: "Metadata",
  full: "Full payloads",
};

export function EnvironmentsPanel({ workspace }: { workspace: string }) {
  const { data, error, loading, reload } = useApi<Page<Environment>>(
    `/workspaces/${seg(workspace)}/environments`,
    { limit: 500 },
  );
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<Environment | null>(null);
  const items = data?.items ?? [];
  const { can } = usePermissions(
    items.map((e) => ({ action: "environment:delete", resource: environmentResource(workspace, e.name) })),
  );
  const newButton = (
    <Can action="environment:create" resource={environmentResource(workspace, "*")}>
      <Button variant="primary" onClick={() => setCreating(true)}>
        New environment
      </Button>
    </Can>
  );
  // A workspace a non-member opens answers 403: say so plainly.
  if (isApiError(error, 403)) return <ErrorBanner error={error} title="You cannot see this workspace's environments" />;
  return (
    <div className="environments">
      <div className="panel-actions">{items.length > 0 ? newButton : null}</div>
      {loading && !data ? <Loading label="Loading environments…" /> : null}
      {error ? <ErrorBanner error={error} onRetry={reload} /> : null}
      {data ? (
        <DataTable
          caption={`Environments of ${workspace}`}
          rows={items}
          rowKey={(row) => row.id}
          empty={
            <EmptyState title="No environments yet" action={newButton}>
              An environment (production, staging, dev…) holds connections, resources and API keys, isolated
              from the others.
            </EmptyState>
          }
          columns={[
            {
              key: "name",
              header: "Name",
              render: (row) => (
                <Link to={scopePath({ workspace, environment: row.name }, "connections")}>{row.name}</Link>
              ),
            },
            { key: "description", header: "Description", wide: true, render: (row) => row.description || "—" },
            {
              key: "recording",
              header: "Recording",
              wide: true,
              render: (row) => PAYLOAD_LABELS[row.recording.payload] ?? row.recording.payload,
            },
            {
              key: "actions",
              header: <span className="visually-hidden">Actions</span>,
              align: "right",
              render: (row) => (
                <div className="row-actions">
                  <ButtonLink
                    size="small"
                    variant="ghost"
                    to={scopePath({ workspace, environment: row.name }, "settings")}
                    aria-label={`Settings of ${row.name}`}
                  >
                    Settings
                  </ButtonLink>
                  {can("environment:delete", environmentResource(workspace, row.name)) ? (
                    <Button
                      size="small"
                      variant="ghost"
                      aria-label={`Delete environment ${row.name}`}
                      onClick={() => setDeleting(row)}
                    >
                      Delete
                    </Button>
                  ) : null}
                </div>
              ),
            },
          ]}
        />
      ) : null}
      <NameDescriptionDialog
        open={creating}
        title="New environment"
        initial={{ name: "", description: "" }}
        nameHint="For example production, staging or dev."
        descriptionRows={2}
        submitLabel="Create environment"
        onClose={() => setCreating(false)}
        save={async (values) => {
          const body: EnvironmentCreate = values;
          await api.post<Environment>(`/workspaces/${seg(workspace)}/environments`, body);
          setCreating(false);
          reload();
        }}
      />
      <ForceDeleteDialog
        open={deleting !== null}
        title={`Delete environment ${deleting?.name ?? ""}?`}
        confirmLabel="Delete environment"
        warning="Applications calling its resources stop working at once. This cannot be undone."
        forceLabel="Also delete its connections, resources and API keys"
        forceHint="Without this, an environment that still holds any is kept."
        onClose={() => setDeleting(null)}
        remove={async (force) => {
          if (!deleting) return;
          await api.delete(envPath(workspace, deleting.name), { query: force ? { force: true } : undefined });
          const remembered = rememberedScope();
          if (remembered?.workspace === workspace && remembered.environment === deleting.name) forgetScope();
          reload();
        }}
      />
    </div>
  );
}
