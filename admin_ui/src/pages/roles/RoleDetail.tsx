import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { api, isApiError, seg } from "../../api/client";
import type { Role, RoleMember } from "../../api/types";
import {
  Button,
  ButtonLink,
  ConfirmDialog,
  DataTable,
  EmptyState,
  ErrorBanner,
  Loading,
  Notice,
  PageHeader,
} from "../../components";
import { useApi } from "../../hooks/useApi";
import { usePermissions, usePermissionStore } from "../../permissions/Permissions";
import { roleResource } from "../../permissions/resources";
import { rolePath, userPath } from "../users/links";
import { StatementsTable } from "./StatementsTable";

/** One role: its policy, who holds it, and edit / copy / delete for who may. */
export function RoleDetail() {
  const { roleName = "" } = useParams();
  const { data: role, error, loading, reload } = useApi<Role>(`/roles/${seg(roleName)}`);
  if (loading && !role) return <Loading label="Loading the role…" />;
  if (isApiError(error, 404)) {
    return (
      <section className="page">
        <PageHeader title="Role not found" />
        <EmptyState title={`No role ${roleName}`} action={<ButtonLink to="/roles">All roles</ButtonLink>} />
      </section>
    );
  }
  if (error || !role) return <ErrorBanner error={error} title="The role could not be loaded" onRetry={reload} />;
  return <RoleView role={role} />;
}

function RoleView({ role }: { role: Role }) {
  const navigate = useNavigate();
  const store = usePermissionStore();
  const resource = roleResource(role.name);
  const { can } = usePermissions([
    { action: "role:update", resource },
    { action: "role:delete", resource },
    { action: "role:get-members", resource },
    { action: "role:create", resource: roleResource() },
  ]);
  const [deleting, setDeleting] = useState(false);
  const actions = (
    <>
      {can("role:create", roleResource()) ? (
        <ButtonLink to="/roles/new" state={{ copyOf: role }}>
          Duplicate
        </ButtonLink>
      ) : null}
      {!role.builtin && can("role:update", resource) ? (
        <ButtonLink to={rolePath(role.name, "/edit")} variant="primary">
          Edit role
        </ButtonLink>
      ) : null}
      {!role.builtin && can("role:delete", resource) ? (
        <Button variant="danger" onClick={() => setDeleting(true)}>
          Delete role
        </Button>
      ) : null}
    </>
  );
  return (
    <section className="page">
      <ButtonLink to="/roles" variant="ghost" size="small" className="back-link">
        ← Roles
      </ButtonLink>
      <PageHeader title={role.name} description={role.description || undefined} actions={actions} />
      {role.builtin ? (
        <Notice>This is a built-in role: it cannot be changed or deleted. Duplicate it to start a role of your own.</Notice>
      ) : null}
      <section className="card" aria-labelledby="policy-title">
        <h2 id="policy-title">Policy</h2>
        <StatementsTable statements={role.statements} />
      </section>
      {can("role:get-members", resource) ? <RoleMembers role={role} /> : null}
      <ConfirmDialog
        open={deleting}
        title={`Delete role ${role.name}?`}
        confirmLabel="Delete role"
        onClose={() => setDeleting(false)}
        onConfirm={async () => {
          await api.delete(`/roles/${seg(role.id)}`);
          store.invalidate();
          navigate("/roles");
        }}
      >
        <p>Every user holding this role loses what it allows. This cannot be undone.</p>
      </ConfirmDialog>
    </section>
  );
}

function RoleMembers({ role }: { role: Role }) {
  const { data, error, loading, reload } = useApi<RoleMember[]>(`/roles/${seg(role.id)}/members`);
  return (
    <section className="card" aria-labelledby="members-title">
      <h2 id="members-title">Members</h2>
      {loading && !data ? <Loading label="Loading members…" /> : null}
      {error ? <ErrorBanner error={error} onRetry={reload} /> : null}
      {data ? (
        <DataTable
          caption={`Users holding ${role.name}`}
          rows={data}
          rowKey={(row) => row.id}
          empty={<p className="muted">Nobody holds this role. Assign it on a user's page.</p>}
          columns={[
            { key: "username", header: "Username", render: (row) => <Link to={userPath(row.username)}>{row.username}</Link> },
            { key: "email", header: "Email", render: (row) => row.email },
          ]}
        />
      ) : null}
    </section>
  );
}
