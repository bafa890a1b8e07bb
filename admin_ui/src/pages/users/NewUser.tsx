import { useNavigate } from "react-router-dom";
import { api } from "../../api/client";
import type { Page, Role, User, UserCreate } from "../../api/types";
import {
  Button,
  ButtonLink,
  CheckboxField,
  ErrorBanner,
  FormError,
  Loading,
  PageHeader,
  TextField,
  useForm,
} from "../../components";
import { useApi } from "../../hooks/useApi";
import { Can } from "../../permissions/Permissions";
import { userResource } from "../../permissions/resources";
import { userPath } from "./links";
import { RoleChoices } from "./RoleChoices";

/** A new local account: username, email, an optional password, and roles. */
export function NewUser() {
  return (
    <section className="page">
      <PageHeader title="New user" description="A local account. Without a password it cannot sign in until one is set." />
      <Can
        action="user:create"
        resource={userResource()}
        fallback={<ErrorBanner error={new Error("You may not create users.")} />}
      >
        <NewUserForm />
      </Can>
    </section>
  );
}

function NewUserForm() {
  const navigate = useNavigate();
  const roles = useApi<Page<Role>>("/roles", { limit: 500 });
  const form = useForm({
    username: "",
    email: "",
    displayName: "",
    password: "",
    enabled: true,
    roles: [] as string[],
  });
  const onSubmit = form.submit(async (values) => {
    const body: UserCreate = {
      username: values.username,
      email: values.email,
      displayName: values.displayName,
      password: values.password === "" ? null : values.password,
      enabled: values.enabled,
      roles: values.roles,
    };
    const created = await api.post<User>("/users", body);
    navigate(userPath(created.username));
  });
  return (
    <form className="card form" onSubmit={(event) => void onSubmit(event)} noValidate aria-label="New user">
      <TextField label="Username" autoComplete="off" required {...form.field("username")} />
      <TextField label="Email" type="email" autoComplete="off" required {...form.field("email")} />
      <TextField label="Display name" hint="Optional." {...form.field("displayName")} />
      <TextField
        label="Password"
        type="password"
        autoComplete="new-password"
        hint="At least 8 characters. Leave empty to set one later."
        {...form.field("password")}
      />
      <CheckboxField label="Enabled (may sign in)" {...form.checkbox("enabled")} />
      {roles.loading ? <Loading label="Loading roles…" /> : null}
      {roles.error ? <ErrorBanner error={roles.error} title="The roles could not be loaded" onRetry={roles.reload} /> : null}
      {roles.data ? (
        <RoleChoices
          roles={roles.data.items}
          chosen={form.values.roles}
          onChange={(chosen) => form.setValue("roles", chosen)}
          error={form.errorFor("roles")}
        />
      ) : null}
      <FormError form={form} />
      <div className="form-actions">
        <Button type="submit" variant="primary" busy={form.submitting}>
          Create user
        </Button>
        <ButtonLink to="/users">Cancel</ButtonLink>
      </div>
    </form>
  );
}
