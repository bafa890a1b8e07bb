// One workspace (/w/:ws): its environments ("" ) and members ("members"), and, for those who
// may, renaming and deleting it.

import { useState } from "react";
import { Route, Routes, useLocation, useNavigate, useParams } from "react-router-dom";
import { api, isApiError, seg } from "../../api/client";
import type { Workspace, WorkspaceUpdate } from "../../api/types";
import {
  Button,
  ButtonLink,
  EmptyState,
  ErrorBanner,
  Loading,
  PageHeader,
  Tabs,
} from "../../components";
import { useApi } from "../../hooks/useApi";
import { forgetScope, rememberedScope, workspacePath } from "../../layout/scope";
import { usePermissions, usePermissionStore } from "../../permissions/Permissions";
import { workspaceResource } from "../../permissions/resources";
import NotFoundPage from "../NotFoundPage";
import { ForceDeleteDialog, NameDescriptionDialog } from "./dialogs";
import { EnvironmentsPanel } from "./environments";
import { MembersPanel, roleLabel } from "./members";

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
      <NameDescriptionDialog
        key={workspace.updatedAt}
        open={editing}
        title="Edit workspace"
        initial={{ name: workspace.name, description: workspace.description }}
        nameHint="Renaming changes the names policies use for it (workspace:<name>)."
        descriptionRows={3}
        submitLabel="Save changes"
        onClose={() => setEditing(false)}
        save={async (values) => {
          const body: WorkspaceUpdate = values;
          const saved = await api.patch<Workspace>(`/workspaces/${seg(workspace.name)}`, body);
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
      <ForceDeleteDialog
        open={deleting}
        title={`Delete workspace ${workspace.name}?`}
        confirmLabel="Delete workspace"
        warning="Its members lose access and its applications stop working. This cannot be undone."
        forceLabel="Also delete its environments and everything in them"
        forceHint="Without this, a workspace that still has environments is kept."
        onClose={() => setDeleting(false)}
        remove={async (force) => {
          await api.delete(`/workspaces/${seg(workspace.name)}`, { query: force ? { force: true } : undefined });
          if (rememberedScope()?.workspace === workspace.name) forgetScope();
          permissions.invalidate();
          navigate("/workspaces", { replace: true });
        }}
      />
    </section>
  );
}
