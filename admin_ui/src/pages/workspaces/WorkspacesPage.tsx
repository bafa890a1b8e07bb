// Workspaces: the list the caller may see, and a new one.
// Routes (under /workspaces): "" the list, "new" the form. A workspace's own page (its
// environments, members, rename and delete) is WorkspacePage at /w/:ws.

import { Link, Route, Routes, useNavigate } from "react-router-dom";
import { api } from "../../api/client";
import type { Page, Workspace, WorkspaceCreate } from "../../api/types";
import {
  Button,
  ButtonLink,
  DataTable,
  EmptyState,
  ErrorBanner,
  FormError,
  Loading,
  Notice,
  PageHeader,
  TextArea,
  TextField,
  useForm,
} from "../../components";
import { useApi } from "../../hooks/useApi";
import { workspacePath } from "../../layout/scope";
import { Can, usePermissionStore } from "../../permissions/Permissions";
import { workspaceResource } from "../../permissions/resources";
import NotFoundPage from "../NotFoundPage";
import { roleLabel } from "./members";

function NewWorkspaceButton({ label = "New workspace" }: { label?: string }) {
  return (
    <Can action="workspace:create" resource={workspaceResource("*")}>
      <ButtonLink to="/workspaces/new" variant="primary">
        {label}
      </ButtonLink>
    </Can>
  );
}

function WorkspaceList() {
  const { data, error, loading, reload } = useApi<Page<Workspace>>("/workspaces", { limit: 500 });
  return (
    <section className="page">
      <PageHeader
        title="Workspaces"
        description="A workspace holds a team's environments; its owners and members work in it."
        actions={<NewWorkspaceButton />}
      />
      {loading && !data ? <Loading label="Loading workspaces…" /> : null}
      {error ? <ErrorBanner error={error} onRetry={reload} /> : null}
      {data ? (
        <DataTable
          caption="Workspaces"
          rows={data.items}
          rowKey={(row) => row.id}
          empty={
            <EmptyState
              title="No workspaces yet"
              action={
                <>
                  <ButtonLink to="/getting-started">Getting started</ButtonLink> <NewWorkspaceButton />
                </>
              }
            >
              Start with a workspace for your team, then add an environment (production, staging…) to it.
            </EmptyState>
          }
          columns={[
            {
              key: "name",
              header: "Name",
              render: (row) => <Link to={workspacePath(row.name)}>{row.name}</Link>,
            },
            { key: "description", header: "Description", wide: true, render: (row) => row.description || "—" },
            { key: "role", header: "Your role", render: (row) => roleLabel(row.role) },
          ]}
        />
      ) : null}
    </section>
  );
}

function NewWorkspace() {
  const navigate = useNavigate();
  const permissions = usePermissionStore();
  const form = useForm({ name: "", description: "" });
  const onSubmit = form.submit(async (values) => {
    const body: WorkspaceCreate = { name: values.name.trim(), description: values.description };
    const created = await api.post<Workspace>("/workspaces", body);
    // The creator is its owner now: answers about this workspace change.
    permissions.invalidate();
    navigate(workspacePath(created.name));
  });
  return (
    <section className="page">
      <PageHeader title="New workspace" description="You become its first owner." />
      <Can
        action="workspace:create"
        resource={workspaceResource("*")}
        fallback={<Notice tone="warning">You may not create workspaces: ask an admin to create one or to give you a role that may.</Notice>}
      >
        <form className="form card" onSubmit={onSubmit} noValidate>
          <TextField label="Name" autoComplete="off" required autoFocus hint="For example acme or search-team." {...form.field("name")} />
          <TextArea label="Description" rows={2} {...form.field("description")} />
          <FormError form={form} />
          <div className="form-actions">
            <Button type="submit" variant="primary" busy={form.submitting}>
              Create workspace
            </Button>
            <ButtonLink to="/workspaces">Cancel</ButtonLink>
          </div>
        </form>
      </Can>
    </section>
  );
}

export default function WorkspacesPage() {
  return (
    <Routes>
      <Route index element={<WorkspaceList />} />
      <Route path="new" element={<NewWorkspace />} />
      <Route path="*" element={<NotFoundPage />} />
    </Routes>
  );
}
