// Users: local accounts and the roles they hold.
// Routes (under /users): "" the list, "new" the form, ":userKey" one user (by username) with
// their profile, password, roles and deletion.

import { Link, Route, Routes } from "react-router-dom";
import type { Page, User } from "../../api/types";
import { ButtonLink, DataTable, EmptyState, ErrorBanner, Loading, PageHeader } from "../../components";
import { useApi } from "../../hooks/useApi";
import { Can } from "../../permissions/Permissions";
import { userResource } from "../../permissions/resources";
import NotFoundPage from "../NotFoundPage";
import { RoleLinks, userPath } from "./links";
import { NewUser } from "./NewUser";
import { UserDetail } from "./UserDetail";

export default function UsersPage() {
  return (
    <Routes>
      <Route index element={<UserList />} />
      <Route path="new" element={<NewUser />} />
      <Route path=":userKey" element={<UserDetail />} />
      <Route path="*" element={<NotFoundPage />} />
    </Routes>
  );
}

function NewUserButton() {
  return (
    <Can action="user:create" resource={userResource()}>
      <ButtonLink to="/users/new" variant="primary">
        New user
      </ButtonLink>
    </Can>
  );
}

function UserList() {
  const { data, error, loading, reload } = useApi<Page<User>>("/users", { limit: 500 });
  return (
    <section className="page">
      <PageHeader
        title="Users"
        description="Local accounts that sign in to this gateway, and the roles that say what they may do."
        actions={<NewUserButton />}
      />
      {loading && !data ? <Loading label="Loading users…" /> : null}
      {error ? <ErrorBanner error={error} onRetry={reload} /> : null}
      {data ? (
        <DataTable
          caption="Users"
          rows={data.items}
          rowKey={(row) => row.id}
          empty={<EmptyState title="No users you may see" action={<NewUserButton />} />}
          columns={[
            {
              key: "username",
              header: "Username",
              render: (row) => <Link to={userPath(row.username)}>{row.username}</Link>,
            },
            { key: "email", header: "Email", render: (row) => row.email },
            { key: "name", header: "Display name", wide: true, render: (row) => row.displayName || "—" },
            { key: "roles", header: "Roles", render: (row) => <RoleLinks roles={row.roles} /> },
            {
              key: "enabled",
              header: "Status",
              render: (row) => (
                <span className={`state-pill ${row.enabled ? "state-pill-ok" : "state-pill-off"}`}>{row.enabled ? "Enabled" : "Disabled"}</span>
              ),
            },
          ]}
        />
      ) : null}
    </section>
  );
}
