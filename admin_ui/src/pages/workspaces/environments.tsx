// A workspace's environments: the list (each links into its pages), a new one, and delete.

import { useState } from "react";
import { Link } from "react-router-dom";
import { api, envPath, isApiError, seg } from "../../api/client";
import type { Environment, EnvironmentCreate, Page } from "../../api/types";
import {
  Button,
  ButtonLink,
  CheckboxField,
  ConfirmDialog,
  DataTable,
  EmptyState,
  ErrorBanner,
  FormError,
  Loading,
  Modal,
  TextArea,
  TextField,
  useForm,
} from "../../components";
import { useApi } from "../../hooks/useApi";
import { forgetScope, rememberedScope, scopePath } from "../../layout/scope";
import { Can, usePermissions } from "../../permissions/Permissions";
import { environmentResource } from "../../permissions/resources";

const PAYLOAD_LABELS: Record<string, string> = {
  off: "No payloads",
  metadata: "Metadata",
  full: "Full payloads",
};

function NewEnvironmentDialog({
  workspace,
  open,
  onClose,
  onCreated,
}: {
  workspace: string;
  open: boolean;
  onClose: () => void;
  onCreated: (environment: Environment) => void;
}) {
  const form = useForm({ name: "", description: "" });
  const close = () => {
    form.reset();
    onClose();
  };
  const onSubmit = form.submit(async (values) => {
    const body: EnvironmentCreate = { name: values.name.trim(), description: values.description };
    const created = await api.post<Environment>(`/workspaces/${seg(workspace)}/environments`, body);
    form.reset();
    onCreated(created);
  });
  return (
    <Modal open={open} title="New environment" onClose={close}>
      <form className="form" onSubmit={onSubmit} noValidate>
        <TextField
          label="Name"
          autoComplete="off"
          required
          hint="For example production, staging or dev."
          {...form.field("name")}
        />
        <TextArea label="Description" rows={2} {...form.field("description")} />
        <FormError form={form} />
        <div className="form-actions">
          <Button type="submit" variant="primary" busy={form.submitting}>
            Create environment
          </Button>
          <Button onClick={close}>Cancel</Button>
        </div>
      </form>
    </Modal>
  );
}

function DeleteEnvironmentDialog({
  workspace,
  environment,
  onClose,
  onDeleted,
}: {
  workspace: string;
  environment: Environment | null;
  onClose: () => void;
  onDeleted: () => void;
}) {
  const [force, setForce] = useState(false);
  const close = () => {
    setForce(false);
    onClose();
  };
  return (
    <ConfirmDialog
      open={environment !== null}
      title={`Delete environment ${environment?.name ?? ""}?`}
      confirmLabel="Delete environment"
      onClose={close}
      onConfirm={async () => {
        if (!environment) return;
        await api.delete(envPath(workspace, environment.name), { query: force ? { force: true } : undefined });
        const remembered = rememberedScope();
        if (remembered?.workspace === workspace && remembered.environment === environment.name) forgetScope();
        setForce(false);
        onDeleted();
      }}
    >
      <p>Applications calling its resources stop working at once. This cannot be undone.</p>
      <CheckboxField
        label="Also delete its connections, resources and API keys"
        hint="Without this, an environment that still holds any is kept."
        checked={force}
        onChange={(event) => setForce(event.target.checked)}
      />
    </ConfirmDialog>
  );
}

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
      <NewEnvironmentDialog
        workspace={workspace}
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={() => {
          setCreating(false);
          reload();
        }}
      />
      <DeleteEnvironmentDialog
        workspace={workspace}
        environment={deleting}
        onClose={() => setDeleting(null)}
        onDeleted={reload}
      />
    </div>
  );
}
