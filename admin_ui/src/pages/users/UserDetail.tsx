import { useRef, useState } from "react";
import { useNavigate, useParams } from "react-router-dom";
import { api, isApiError, seg } from "../../api/client";
import type { Page, Role, User, UserUpdate } from "../../api/types";
import { useSession } from "../../auth/AuthContext";
import {
  Button,
  ButtonLink,
  CheckboxField,
  ConfirmDialog,
  EmptyState,
  ErrorBanner,
  FormError,
  Loading,
  Notice,
  PageHeader,
  SelectField,
  TextField,
  useForm,
} from "../../components";
import { useApi } from "../../hooks/useApi";
import { usePermissions, usePermissionStore } from "../../permissions/Permissions";
import { roleResource, userResource } from "../../permissions/resources";
import { RoleLinks } from "./links";

/** One user: profile, password, roles, deletion — each shown only to who may use it. */
export function UserDetail() {
  const { userKey = "" } = useParams();
  const { data: user, error, loading, reload } = useApi<User>(`/users/${seg(userKey)}`);
  if (loading && !user) return <Loading label="Loading the user…" />;
  if (isApiError(error, 404)) {
    return (
      <section className="page">
        <PageHeader title="User not found" />
        <EmptyState title={`No user ${userKey}`} action={<ButtonLink to="/users">All users</ButtonLink>} />
      </section>
    );
  }
  if (error || !user) return <ErrorBanner error={error} title="The user could not be loaded" onRetry={reload} />;
  return <UserView user={user} reload={reload} />;
}

function UserView({ user, reload }: { user: User; reload: () => void }) {
  const navigate = useNavigate();
  const resource = userResource(user.email);
  const { can, loading } = usePermissions([
    { action: "user:update", resource },
    { action: "user:delete", resource },
  ]);
  // A new email is a new policy resource, asked about afresh: keep the last answers
  // meanwhile, so the form being used does not vanish and come back emptied.
  const decided = useRef<{ update: boolean; delete: boolean } | null>(null);
  if (!loading) decided.current = { update: can("user:update", resource), delete: can("user:delete", resource) };
  const [deleting, setDeleting] = useState(false);
  const mayUpdate = decided.current?.update ?? false;
  return (
    <section className="page">
      <ButtonLink to="/users" variant="ghost" size="small" className="back-link">
        ← Users
      </ButtonLink>
      <PageHeader
        title={user.username}
        description={user.displayName ? `${user.displayName} · ${user.email}` : user.email}
        actions={
          decided.current?.delete ? (
            <Button variant="danger" onClick={() => setDeleting(true)}>
              Delete user
            </Button>
          ) : null
        }
      />
      {mayUpdate ? <ProfileForm user={user} onSaved={reload} /> : <ProfileView user={user} />}
      {mayUpdate ? <PasswordForm user={user} /> : null}
      <UserRoles user={user} onChanged={reload} />
      <ConfirmDialog
        open={deleting}
        title={`Delete ${user.username}?`}
        confirmLabel="Delete user"
        onClose={() => setDeleting(false)}
        onConfirm={async () => {
          await api.delete(`/users/${seg(user.id)}`);
          navigate("/users");
        }}
      >
        <p>
          The account <strong>{user.username}</strong> ({user.email}) is deleted and signed out everywhere. This cannot
          be undone.
        </p>
      </ConfirmDialog>
    </section>
  );
}

function ProfileView({ user }: { user: User }) {
  return (
    <section className="card" aria-labelledby="profile-title">
      <h2 id="profile-title">Profile</h2>
      <dl className="details">
        <dt>Email</dt>
        <dd>{user.email}</dd>
        <dt>Display name</dt>
        <dd>{user.displayName || "—"}</dd>
        <dt>Status</dt>
        <dd>{user.enabled ? "Enabled" : "Disabled"}</dd>
      </dl>
    </section>
  );
}

function ProfileForm({ user, onSaved }: { user: User; onSaved: () => void }) {
  const { user: me, refresh } = useSession();
  const [saved, setSaved] = useState(false);
  const form = useForm({ email: user.email, displayName: user.displayName, enabled: user.enabled });
  const onSubmit = form.submit(async (values) => {
    setSaved(false);
    // All three, as shown: an unchanged field changes nothing on the server.
    const body: UserUpdate = { email: values.email, displayName: values.displayName, enabled: values.enabled };
    const updated = await api.patch<User>(`/users/${seg(user.id)}`, body);
    form.reset({ email: updated.email, displayName: updated.displayName, enabled: updated.enabled });
    setSaved(true);
    if (me.id === user.id) await refresh();
    onSaved();
  });
  return (
    <form className="card form" onSubmit={(event) => void onSubmit(event)} noValidate aria-labelledby="profile-title">
      <h2 id="profile-title">Profile</h2>
      {saved ? <Notice tone="success">The profile was saved.</Notice> : null}
      <TextField label="Email" type="email" required {...form.field("email")} />
      <TextField label="Display name" {...form.field("displayName")} />
      <CheckboxField
        label="Enabled (may sign in)"
        hint="Disabling signs the user out everywhere."
        {...form.checkbox("enabled")}
      />
      <FormError form={form} />
      <div className="form-actions">
        <Button type="submit" variant="primary" busy={form.submitting}>
          Save profile
        </Button>
      </div>
    </form>
  );
}

function PasswordForm({ user }: { user: User }) {
  const [done, setDone] = useState(false);
  const form = useForm({ password: "", repeat: "" });
  const onSubmit = form.submit(async ({ password, repeat }) => {
    setDone(false);
    if (password !== repeat) {
      form.setFieldError("repeat", "the passwords differ");
      return;
    }
    await api.put(`/users/${seg(user.id)}/password`, { password });
    form.reset();
    setDone(true);
  });
  return (
    <form className="card form" onSubmit={(event) => void onSubmit(event)} noValidate aria-labelledby="password-title">
      <h2 id="password-title">Set password</h2>
      <p className="muted">The user is signed out everywhere and signs in with the new password.</p>
      {done ? <Notice tone="success">The password was set.</Notice> : null}
      <TextField label="New password" type="password" autoComplete="new-password" hint="At least 8 characters." {...form.field("password")} />
      <TextField label="Repeat the password" type="password" autoComplete="new-password" {...form.field("repeat")} />
      <FormError form={form} />
      <div className="form-actions">
        <Button type="submit" busy={form.submitting}>
          Set password
        </Button>
      </div>
    </form>
  );
}

/** The roles the user holds, with Remove and Assign for who may (role:unassign / role:assign
 * on each role). */
function UserRoles({ user, onChanged }: { user: User; onChanged: () => void }) {
  const store = usePermissionStore();
  const roles = useApi<Page<Role>>("/roles", { limit: 500 });
  const names = roles.data?.items.map((role) => role.name) ?? [];
  const { can } = usePermissions([
    ...names.map((name) => ({ action: "role:assign", resource: roleResource(name) })),
    ...user.roles.map((name) => ({ action: "role:unassign", resource: roleResource(name) })),
  ]);
  const assignable = names.filter((name) => !user.roles.includes(name) && can("role:assign", roleResource(name)));
  const [chosen, setChosen] = useState("");
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  const change = async (role: string, method: "put" | "delete") => {
    setBusy(role);
    setError(null);
    try {
      const path = `/users/${seg(user.id)}/roles/${seg(role)}`;
      if (method === "put") await api.put(path);
      else await api.delete(path);
      setChosen("");
      store.invalidate();
      onChanged();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="card" aria-labelledby="roles-title">
      <h2 id="roles-title">Roles</h2>
      {error ? <ErrorBanner error={error} /> : null}
      {user.roles.length === 0 ? <p className="muted">This user holds no role: they may do nothing but sign in.</p> : null}
      {user.roles.length > 0 ? (
        <ul className="held-roles" aria-label={`Roles of ${user.username}`}>
          {user.roles.map((role) => (
            <li key={role}>
              <RoleLinks roles={[role]} />
              {can("role:unassign", roleResource(role)) ? (
                <Button
                  size="small"
                  variant="ghost"
                  aria-label={`Remove role ${role}`}
                  busy={busy === role}
                  onClick={() => void change(role, "delete")}
                >
                  Remove
                </Button>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
      {assignable.length > 0 ? (
        <form
          className="role-assign-form"
          onSubmit={(event) => {
            event.preventDefault();
            if (chosen) void change(chosen, "put");
          }}
        >
          <SelectField
            label="Add a role"
            value={chosen}
            placeholder="Choose a role"
            options={assignable.map((name) => ({ value: name, label: name }))}
            onChange={(event) => setChosen(event.target.value)}
          />
          <Button type="submit" disabled={!chosen} busy={busy !== null && busy === chosen}>
            Assign role
          </Button>
        </form>
      ) : null}
    </section>
  );
}
