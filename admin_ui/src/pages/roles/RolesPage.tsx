// Roles: named policies that users hold.
// Routes (under /roles): "" the list, "new" a new role (optionally a copy), ":roleName" one
// role with its statements and members, ":roleName/edit" the policy editor.

import { Link, Route, Routes } from "react-router-dom";
import type { Page, Role } from "../../api/types";
import { ButtonLink, DataTable, EmptyState, ErrorBanner, Loading, PageHeader } from "../../components";
import { useApi } from "../../hooks/useApi";
import { Can } from "../../permissions/Permissions";
import { roleResource } from "../../permissions/resources";
import NotFoundPage from "../NotFoundPage";
import { rolePath } from "../users/links";
import { RoleDetail } from "./RoleDetail";
import { RoleEditor } from "./RoleEditor";

export default function RolesPage() {
  return (
    <Routes>
      <Route index element={<RoleList />} />
      <Route path="new" element={<RoleEditor />} />
      <Route path=":roleName" element={<RoleDetail />} />
      <Route path=":roleName/edit" element={<RoleEditor />} />
      <Route path="*" element={<NotFoundPage />} />
    </Routes>
  );
}

function NewRoleButton() {
  return (
    <Can action="role:create" resource={roleResource()}>
      <ButtonLink to="/roles/new" variant="primary">
        New role
      </ButtonLink>
    </Can>
  );
}

function RoleList() {
  const { data, error, loading, reload } = useApi<Page<Role>>("/roles", { limit: 500 });
  return (
    <section className="page">
      <PageHeader
        title="Roles"
        description="A role is a policy: statements that allow or deny actions on resources. Users hold roles."
        actions={<NewRoleButton />}
      />
      {loading && !data ? <Loading label="Loading roles…" /> : null}
      {error ? <ErrorBanner error={error} onRetry={reload} /> : null}
      {data ? (
        <DataTable
          caption="Roles"
          rows={data.items}
          rowKey={(row) => row.id}
          empty={<EmptyState title="No roles you may see" action={<NewRoleButton />} />}
          columns={[
            {
              key: "name",
              header: "Name",
              render: (row) => (
                <>
                  <Link to={rolePath(row.name)}>{row.name}</Link>
                  {row.builtin ? <span className="state-pill state-pill-muted">built-in</span> : null}
                </>
              ),
            },
            { key: "description", header: "Description", wide: true, render: (row) => row.description || "—" },
            {
              key: "statements",
              header: "Statements",
              align: "right",
              render: (row) => row.statements.length,
            },
          ]}
        />
      ) : null}
    </section>
  );
}
