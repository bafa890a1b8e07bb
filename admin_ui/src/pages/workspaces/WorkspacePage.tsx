// One workspace (/w/:ws): its environments ("" ) and members ("members"), and, for those who
// may, renaming and deleting it.

import { useState } from "react";
import { Route, Routes, useLocation, useNavigate, useParams } from "react-router-dom";
import { api, isApiError, seg } from "../../api/client";
import type { Workspace, WorkspaceUpdate } from "../../api/types";
import {
  Button,
  ButtonLink,
  CheckboxField,
  ConfirmDialog,
  EmptyState,
  ErrorBanner,
  FormError,
  Loading,
  Modal,
  PageHeader,
  Tabs,
  TextArea,
  TextField,
  useForm,
} from "../../components";
import { useApi } from "../../hooks/useApi";
import { forgetScope, rememberedScope, workspacePath } from "../../layout/scope";
import { usePermissions, usePermissionStore } from "../../permissions/Permissions";
import { workspaceResource } from "../../permissions/resources";
import NotFoundPage from "../NotFoundPage";
import { EnvironmentsPanel } from "./environments";
import { MembersPanel, roleLabel } from "./members";

function EditWorkspaceDialog({
  workspace,
  open,
  onClose,
  onSaved,
}: {
  workspace: Workspace;
  open: boolean;
  onClose: () => void;
  onSaved: (workspace: Workspace) => void;
}) {
  const form = useForm({ name: workspace.name, description: workspace.description });
  const close = () => {
    form.reset({ name: workspace.name, description: workspace.description });
    onClose();
  };
  const onSubmit = form.submit(async (values) => {
    const body: WorkspaceUpdate = { name: values.name.trim(), description: values.description };
    const saved = await api.patch<Workspace>(`/workspaces/${seg(workspace.name)}`, body);
    onSaved(saved);
  });
  return (
    <Modal open={open} title="Edit workspace" onClose={close}>
      <form className="form" onSubmit={onSubmit} noValidate>
        <TextField
          label="Name"
          autoComplete="off"
          required
          hint="Renaming changes the names policies use for it (workspace:<name>)."
          {...form.field("name")}
        />
        <TextArea label="Description" rows={3} {...form.field("description")} />
        <FormError form={form} />
        <div className="form-actions">
          <Button type="submit" variant="primary" busy={form.submitting}>
            Save changes
          </Button>
          <Button onClick={close}>Cancel</Button>
        </div>
      </form>
    </Modal>
  );
}

function DeleteWorkspaceDialog({
  workspace,
  open,
  onClose,
  onDeleted,
}: {
  workspace: string;
  open: boolean;
  onClose: () => void;
  onDeleted: () => void;
}) {
  const [force, setForce] = useState(false);
  return (
    <ConfirmDialog
      open={open}
      title={`Delete workspace ${workspace}?`}
      confirmLabel="Delete workspace"
      onClose={() => {
        setForce(false);
        onClose();
      }}
      onConfirm={async () => {
        await api.delete(`/workspaces/${seg(workspace)}`, { query: force ? { force: true } : undefined });
        onDeleted();
      }}
    >
      <p>Its members lose access and its applications stop working. This cannot be undone.</p>
      <CheckboxField
        label="Also delete its environments and everything in them"
        hint="Without this, a workspace that still has environments is kept."
        checked={force}
        onChange={(event) => setForce(event.target.checked)}
      />
    </ConfirmDialog>
  );
}

export default function WorkspacePage() {
  const { ws = "" } = useParams();
  const navigate = useNavigate();
  const { pathname } = useLocation();
  const permissions = usePermissionStore();
  const { data: workspace, error, loading, reload } = useApi<Workspace>(`/workspaces/${seg(ws)}`);
  const resource = workspaceResource(ws);
  const { can } = usePermissions([
    { action: "workspace:update", resource },
    { action: "workspace:delete", resource },
    { action: "workspace:get-members", resource },
  ]);
  const [editing, setEditing] = useState(false);
  const [deleting, setDeleting] = useState(false);

  if (loading && !workspace) return <Loading label="Loading the workspace…" />;
  if (isApiError(error, 404)) {
    return (
      <section className="page">
        <EmptyState title={`No workspace ${ws}`} action={<ButtonLink to="/workspaces">All workspaces</ButtonLink>}>
          It may have been renamed or deleted.
        </EmptyState>
      </section>
    );
  }
  if (error || !workspace) {
    return (
      <section className="page">
        <PageHeader title={ws} />
        <ErrorBanner error={error} onRetry={reload} />
      </section>
    );
  }

  const base = workspacePath(workspace.name);
  const tab = pathname.replace(/\/+$/, "").endsWith("/members") ? "members" : "environments";
  const tabs = [
    { id: "environments", label: "Environments" },
    ...(can("workspace:get-members", resource) ? [{ id: "members", label: "Members" }] : []),
  ];
  const actions = (
    <>
      {can("workspace:update", resource) ? <Button onClick={() => setEditing(true)}>Edit workspace</Button> : null}
      {can("workspace:delete", resource) ? (
        <Button variant="danger" onClick={() => setDeleting(true)}>
          Delete workspace
        </Button>
      ) : null}
    </>
  );

  return (
    <section className="page">
      <PageHeader
        title={workspace.name}
        description={
          <>
            {workspace.description || "A workspace"}
            {workspace.role ? <span className="muted"> · You are {roleLabel(workspace.role).toLowerCase()}</span> : null}
          </>
        }
        actions={actions}
      />
      <Tabs
        label="Workspace"
        tabs={tabs}
        selected={tab}
        onSelect={(id) => navigate(id === "members" ? `${base}/members` : base)}
      >
        <Routes>
          <Route index element={<EnvironmentsPanel workspace={workspace.name} />} />
          <Route path="members" element={<MembersPanel workspace={workspace.name} />} />
          <Route path="*" element={<NotFoundPage />} />
        </Routes>
      </Tabs>
      <EditWorkspaceDialog
        key={workspace.updatedAt}
        workspace={workspace}
        open={editing}
        onClose={() => setEditing(false)}
        onSaved={(saved) => {
          setEditing(false);
          const remembered = rememberedScope();
          if (remembered?.workspace === workspace.name && saved.name !== workspace.name) forgetScope();
          if (saved.name !== workspace.name) {
            permissions.invalidate();
            navigate(workspacePath(saved.name) + (tab === "members" ? "/members" : ""), { replace: true });
          } else {
            reload();
          }
        }}
      />
      <DeleteWorkspaceDialog
        workspace={workspace.name}
        open={deleting}
        onClose={() => setDeleting(false)}
        onDeleted={() => {
          if (rememberedScope()?.workspace === workspace.name) forgetScope();
          permissions.invalidate();
          navigate("/workspaces", { replace: true });
        }}
      />
    </section>
  );
}
