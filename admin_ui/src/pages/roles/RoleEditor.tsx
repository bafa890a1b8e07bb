import { useState } from "react";
import { useLocation, useNavigate, useParams } from "react-router-dom";
import { api, isApiError, seg } from "../../api/client";
import type { Page, Role, RoleCreate } from "../../api/types";
import {
  Button,
  ButtonLink,
  EmptyState,
  ErrorBanner,
  FormError,
  Loading,
  PageHeader,
  TextArea,
  TextField,
  useForm,
} from "../../components";
import { useApi } from "../../hooks/useApi";
import { Can, usePermissionStore } from "../../permissions/Permissions";
import { roleResource } from "../../permissions/resources";
import { rolePath } from "../users/links";
import { blankStatement } from "./policy";
import { draftOf, draftStatements, PolicyEditor, type PolicyDraft } from "./PolicyEditor";

/** New role (/roles/new, maybe a copy of another) or an existing one (/roles/:name/edit). */
export function RoleEditor() {
  const { roleName } = useParams();
  const location = useLocation();
  const copyOf = (location.state as { copyOf?: Role } | null)?.copyOf;
  const existing = useApi<Role>(roleName !== undefined ? `/roles/${seg(roleName)}` : null);
  const roles = useApi<Page<Role>>("/roles", { limit: 500 });
  const suggestions = actionSuggestions(roles.data?.items ?? []);

  if (roleName === undefined) {
    const start: Role | undefined = copyOf;
    return (
      <section className="page">
        <PageHeader
          title={start ? `New role from ${start.name}` : "New role"}
          description="Name the role and write its policy; assign it to users on their pages."
        />
        <Can
          action="role:create"
          resource={roleResource()}
          fallback={<ErrorBanner error={new Error("You may not create roles.")} />}
        >
          <RoleForm
            initial={{
              name: start ? `${start.name}-copy` : "",
              description: start?.description ?? "",
              statements: start ? start.statements : [blankStatement()],
            }}
            suggestions={suggestions}
          />
        </Can>
      </section>
    );
  }
  if (existing.loading && !existing.data) return <Loading label="Loading the role…" />;
  if (isApiError(existing.error, 404)) {
    return (
      <section className="page">
        <PageHeader title="Role not found" />
        <EmptyState title={`No role ${roleName}`} action={<ButtonLink to="/roles">All roles</ButtonLink>} />
      </section>
    );
  }
  const role = existing.data;
  if (existing.error || !role) {
    return <ErrorBanner error={existing.error} title="The role could not be loaded" onRetry={existing.reload} />;
  }
  return (
    <section className="page">
      <PageHeader title={`Edit ${role.name}`} description="Changes apply to every holder of the role at once." />
      {role.builtin ? (
        <ErrorBanner error={new Error("Built-in roles cannot be changed; duplicate one instead.")} />
      ) : (
        <Can
          action="role:update"
          resource={roleResource(role.name)}
          fallback={<ErrorBanner error={new Error("You may not change this role.")} />}
        >
          <RoleForm role={role} initial={role} suggestions={suggestions} />
        </Can>
      )}
    </section>
  );
}

/** Actions the policies already name: the API lists no vocabulary of its own, so these
 * suggestions come from the roles the caller may see (free text is always accepted). */
function actionSuggestions(roles: Role[]): string[] {
  const found = new Set<string>();
  for (const role of roles) for (const statement of role.statements) statement.actions.forEach((a) => found.add(a));
  return [...found].sort();
}

function RoleForm({
  role,
  initial,
  suggestions,
}: {
  role?: Role;
  initial: Pick<Role, "name" | "description" | "statements">;
  suggestions: string[];
}) {
  const navigate = useNavigate();
  const store = usePermissionStore();
  const form = useForm({ name: initial.name, description: initial.description });
  const [draft, setDraft] = useState<PolicyDraft>(() => draftOf(initial.statements));
  // The editor shows errors about `statements` itself: claim them before <FormError>.
  form.errorFor("statements");

  const onSubmit = form.submit(async (values) => {
    const sent = draftStatements(draft);
    if ("problem" in sent) {
      form.setFieldError("statements", sent.problem);
      return;
    }
    const body = { name: values.name, description: values.description, statements: sent.statements } as RoleCreate;
    const saved = role
      ? await api.patch<Role>(`/roles/${seg(role.id)}`, body)
      : await api.post<Role>("/roles", body);
    store.invalidate();
    navigate(rolePath(saved.name));
  });

  return (
    <form className="card form form-wide" onSubmit={(event) => void onSubmit(event)} noValidate aria-label="Role">
      <TextField label="Name" required autoComplete="off" {...form.field("name")} />
      <TextArea label="Description" rows={2} {...form.field("description")} />
      <PolicyEditor draft={draft} onChange={setDraft} error={form.error} suggestions={suggestions} />
      <FormError form={form} />
      <div className="form-actions">
        <Button type="submit" variant="primary" busy={form.submitting}>
          {role ? "Save role" : "Create role"}
        </Button>
        <ButtonLink to={role ? rolePath(role.name) : "/roles"}>Cancel</ButtonLink>
      </div>
    </form>
  );
}
