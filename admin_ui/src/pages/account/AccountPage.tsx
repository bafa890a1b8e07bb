import { useState } from "react";
import { api } from "../../api/client";
import type { PasswordChange } from "../../api/types";
import { useSession } from "../../auth/AuthContext";
import { Button, FormError, Notice, PageHeader, TextField, useForm } from "../../components";

/** The signed-in user's account: who they are, and changing their password. */
export default function AccountPage() {
  const { user } = useSession();
  return (
    <section className="page">
      <PageHeader title="Account" description="Your profile and password." />
      <div className="card">
        <h2>Profile</h2>
        <dl className="details">
          <dt>Username</dt>
          <dd>{user.username}</dd>
          <dt>Email</dt>
          <dd>{user.email}</dd>
          <dt>Roles</dt>
          <dd>{user.roles.length ? user.roles.join(", ") : "none"}</dd>
        </dl>
      </div>
      <PasswordChangeForm />
    </section>
  );
}

function PasswordChangeForm() {
  const form = useForm({ currentPassword: "", newPassword: "", confirmPassword: "" });
  const [changed, setChanged] = useState(false);
  const onSubmit = form.submit(async ({ currentPassword, newPassword, confirmPassword }) => {
    setChanged(false);
    if (newPassword !== confirmPassword) {
      form.setFieldError("confirmPassword", "the new passwords differ");
      return;
    }
    const body: PasswordChange = { currentPassword, newPassword };
    await api.post("/auth/password", body);
    form.reset();
    setChanged(true);
  });
  return (
    <form className="card form" onSubmit={(event) => void onSubmit(event)} noValidate aria-labelledby="password-title">
      <h2 id="password-title">Change password</h2>
      <p className="muted">Your other sessions are signed out; this one stays.</p>
      {changed ? <Notice tone="success">Your password was changed.</Notice> : null}
      <FormError form={form} />
      <TextField label="Current password" type="password" autoComplete="current-password" required {...form.field("currentPassword")} />
      <TextField
        label="New password"
        type="password"
        autoComplete="new-password"
        hint="At least 8 characters."
        required
        {...form.field("newPassword")}
      />
      <TextField label="Repeat the new password" type="password" autoComplete="new-password" required {...form.field("confirmPassword")} />
      <div className="form-actions">
        <Button type="submit" variant="primary" busy={form.submitting}>
          Change password
        </Button>
      </div>
    </form>
  );
}
