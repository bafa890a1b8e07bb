// A workspace's members: who is in it and as what (owner or member). Only owners and admins
// add, re-role or remove members (the API's membership rule); everyone else sees the list
// when they may read it, and no buttons.

import { useState } from "react";
import { api, seg } from "../../api/client";
import type { Member, MemberAdd, MemberRole, Page, User } from "../../api/types";
import {
  Button,
  ConfirmDialog,
  DataTable,
  EmptyState,
  ErrorBanner,
  FormError,
  Loading,
  SelectField,
  TextField,
  useForm,
} from "../../components";
import { useApi } from "../../hooks/useApi";
import { usePermissions, usePermissionStore } from "../../permissions/Permissions";
import { workspaceResource } from "../../permissions/resources";

const ROLE_OPTIONS = [
  { value: "member", label: "Member" },
  { value: "owner", label: "Owner" },
];

/** "Owner", "Member", or a dash for no membership. */
export function roleLabel(role: MemberRole | null | undefined): string {
  if (role === "owner") return "Owner";
  if (role === "member") return "Member";
  return "—";
}

const membersPath = (workspace: string) => `/workspaces/${seg(workspace)}/members`;

function AddMemberForm({ workspace, onAdded }: { workspace: string; onAdded: () => void }) {
  const form = useForm({ user: "", role: "member" });
  // Suggestions for the user box (anyone signed in may list users).
  const users = useApi<Page<User>>("/users", { limit: 500 });
  const listId = `members-${workspace}-users`;
  const onSubmit = form.submit(async (values) => {
    const body: MemberAdd = { user: values.user.trim(), role: values.role as MemberRole };
    await api.post<Member>(membersPath(workspace), body);
    form.reset();
    onAdded();
  });
  return (
    <form className="form card member-add" onSubmit={onSubmit} noValidate aria-label="Add a member">
      <h2>Add a member</h2>
      <div className="member-add-fields">
        <TextField
          label="User"
          hint="Username or email."
          autoComplete="off"
          list={listId}
          required
          {...form.field("user")}
        />
        <SelectField label="Role" options={ROLE_OPTIONS} {...form.field("role")} />
      </div>
      <datalist id={listId}>
        {(users.data?.items ?? []).map((user) => (
          <option key={user.id} value={user.username}>
            {user.email}
          </option>
        ))}
      </datalist>
      <FormError form={form} />
      <div className="form-actions">
        <Button type="submit" variant="primary" busy={form.submitting}>
          Add member
        </Button>
      </div>
    </form>
  );
}

function RoleSelect({
  member,
  busy,
  onChange,
}: {
  member: Member;
  busy: boolean;
  onChange: (role: MemberRole) => void;
}) {
  return (
    <select
      className="input input-compact"
      aria-label={`Role of ${member.username}`}
      value={member.role}
      disabled={busy}
      onChange={(event) => onChange(event.target.value as MemberRole)}
    >
      {ROLE_OPTIONS.map((option) => (
        <option key={option.value} value={option.value}>
          {option.label}
        </option>
      ))}
    </select>
  );
}

export function MembersPanel({ workspace }: { workspace: string }) {
  const resource = workspaceResource(workspace);
  const { can, loading: asking } = usePermissions([
    { action: "workspace:get-members", resource },
    { action: "workspace:assign", resource },
    { action: "workspace:update-member-role", resource },
    { action: "workspace:unassign", resource },
  ]);
  const mayRead = can("workspace:get-members", resource);
  const members = useApi<Member[]>(mayRead ? membersPath(workspace) : null);
  const permissions = usePermissionStore();
  const [changing, setChanging] = useState<string | null>(null);
  const [changeError, setChangeError] = useState<unknown>(null);
  const [removing, setRemoving] = useState<Member | null>(null);

  const changed = () => {
    // Someone's role moved (maybe the caller's own): what they may do moved with it.
    permissions.invalidate();
    members.reload();
  };

  const changeRole = async (member: Member, role: MemberRole) => {
    setChanging(member.userId);
    setChangeError(null);
    try {
      await api.patch<Member>(`${membersPath(workspace)}/${seg(member.userId)}`, { role });
      changed();
    } catch (caught) {
      setChangeError(caught);
    } finally {
      setChanging(null);
    }
  };

  if (asking) return <Loading label="Loading members…" />;
  if (!mayRead) {
    return <p className="muted">Only the workspace's owners and members with the right role see its members.</p>;
  }
  const mayChange = can("workspace:update-member-role", resource);
  const mayRemove = can("workspace:unassign", resource);
  return (
    <div className="members">
      {members.loading && !members.data ? <Loading label="Loading members…" /> : null}
      {members.error ? <ErrorBanner error={members.error} onRetry={members.reload} /> : null}
      {changeError ? <ErrorBanner error={changeError} title="The role was not changed" /> : null}
      {members.data ? (
        <DataTable
          caption={`Members of ${workspace}`}
          rows={members.data}
          rowKey={(row) => row.userId}
          empty={<EmptyState title="No members">Add someone as an owner so the workspace has one.</EmptyState>}
          columns={[
            { key: "username", header: "User", render: (row) => row.username },
            { key: "email", header: "Email", wide: true, render: (row) => row.email },
            {
              key: "role",
              header: "Role",
              render: (row) =>
                mayChange ? (
                  <RoleSelect member={row} busy={changing === row.userId} onChange={(role) => void changeRole(row, role)} />
                ) : (
                  roleLabel(row.role)
                ),
            },
            {
              key: "since",
              header: "Member since",
              wide: true,
              render: (row) => new Date(row.createdAt).toLocaleDateString(),
            },
            ...(mayRemove
              ? [
                  {
                    key: "actions",
                    header: <span className="visually-hidden">Actions</span>,
                    align: "right" as const,
                    render: (row: Member) => (
                      <Button variant="ghost" size="small" aria-label={`Remove ${row.username}`} onClick={() => setRemoving(row)}>
                        Remove
                      </Button>
                    ),
                  },
                ]
              : []),
          ]}
        />
      ) : null}
      {can("workspace:assign", resource) ? <AddMemberForm workspace={workspace} onAdded={changed} /> : null}
      <ConfirmDialog
        open={removing !== null}
        title={`Remove ${removing?.username ?? ""}?`}
        confirmLabel="Remove member"
        onClose={() => setRemoving(null)}
        onConfirm={async () => {
          if (!removing) return;
          await api.delete(`${membersPath(workspace)}/${seg(removing.userId)}`);
          changed();
        }}
      >
        <p>
          {removing?.username} will no longer work in {workspace}. Their roles elsewhere stay as they are.
        </p>
      </ConfirmDialog>
    </div>
  );
}

