// Steps 1 and 2: the workspace, then the environment in it (an existing one, or a new one).

import { api, seg } from "../../api/client";
import type { Environment, EnvironmentCreate, Page, Workspace, WorkspaceCreate } from "../../api/types";
import {
  ErrorBanner,
  FormError,
  Loading,
  TextArea,
  TextField,
  useForm,
  type FormState,
} from "../../components";
import { useApi } from "../../hooks/useApi";
import { rememberedScope } from "../../layout/scope";
import { useCan, usePermissionStore } from "../../permissions/Permissions";
import { environmentResource, workspaceResource } from "../../permissions/resources";
import { ExistingChoice, initialMode, StepFrame, type Mode } from "./wizard";

export interface StepProps {
  number: number;
  total: number;
  /** The step's object chosen before (coming back to it). */
  selected: string | null;
  onDone: (name: string) => void;
  onBack?: () => void;
}

/** The name to preselect: the one chosen before, else the one last used, else the first. */
function preferred(names: string[], ...wishes: (string | null | undefined)[]): string {
  for (const wish of wishes) if (wish && names.includes(wish)) return wish;
  return names[0] ?? "";
}

interface TenancyValues extends Record<string, unknown> {
  mode: Mode;
  existing: string;
  name: string;
  description: string;
}

function TenancyFields({
  form,
  names,
  mayCreate,
  kind,
  nameHint,
}: {
  form: FormState<TenancyValues>;
  names: string[];
  mayCreate: boolean;
  kind: "workspace" | "environment";
  nameHint: string;
}) {
  const { values } = form;
  const Kind = kind === "workspace" ? "Workspace" : "Environment";
  return (
    <>
      <ExistingChoice
        form={form}
        kind={kind}
        label={Kind}
        options={names.map((name) => ({ value: name, label: name }))}
        mayCreate={mayCreate}
      />
      {values.mode === "new" ? (
        <>
          <TextField label="Name" autoComplete="off" required hint={nameHint} {...form.field("name")} />
          <TextArea label="Description" rows={2} {...form.field("description")} />
        </>
      ) : null}
    </>
  );
}

function WorkspaceForm({ workspaces, mayCreate, ...step }: StepProps & { workspaces: Workspace[]; mayCreate: boolean }) {
  const permissions = usePermissionStore();
  const names = workspaces.map((w) => w.name);
  const form = useForm<TenancyValues>({
    mode: initialMode(names.length, mayCreate),
    existing: preferred(names, step.selected, rememberedScope()?.workspace),
    name: "",
    description: "",
  });
  const onSubmit = form.submit(async (values) => {
    if (values.mode === "existing") {
      if (!values.existing) return form.setFieldError("existing", "Choose a workspace.");
      return step.onDone(values.existing);
    }
    const body: WorkspaceCreate = { name: values.name.trim(), description: values.description };
    const created = await api.post<Workspace>("/workspaces", body);
    // The caller owns it now: permission answers about it change.
    permissions.invalidate();
    step.onDone(created.name);
  });
  return (
    <StepFrame
      number={step.number}
      total={step.total}
      title="Your workspace"
      intro="A workspace holds a team's environments; you become its owner and can add members later."
      onSubmit={onSubmit}
      onBack={step.onBack}
      busy={form.submitting}
      stuck={names.length === 0 && !mayCreate ? "You are in no workspace and may not create one: ask an admin to add you to one." : null}
    >
      <TenancyFields form={form} names={names} mayCreate={mayCreate} kind="workspace" nameHint="Your team or project, e.g. acme." />
      <FormError form={form} />
    </StepFrame>
  );
}

export function WorkspaceStep(step: StepProps) {
  const list = useApi<Page<Workspace>>("/workspaces", { limit: 500 });
  const mayCreate = useCan("workspace:create", workspaceResource("*"));
  if (list.error) return <ErrorBanner error={list.error} onRetry={list.reload} />;
  if (!list.data || mayCreate === undefined) return <Loading label="Loading workspaces…" />;
  return <WorkspaceForm {...step} workspaces={list.data.items} mayCreate={mayCreate} />;
}

function EnvironmentForm({
  workspace,
  environments,
  mayCreate,
  ...step
}: StepProps & { workspace: string; environments: Environment[]; mayCreate: boolean }) {
  const names = environments.map((e) => e.name);
  const remembered = rememberedScope();
  const form = useForm<TenancyValues>({
    mode: initialMode(names.length, mayCreate),
    existing: preferred(names, step.selected, remembered?.workspace === workspace ? remembered.environment : null),
    name: names.includes("production") ? "" : "production",
    description: "",
  });
  const onSubmit = form.submit(async (values) => {
    if (values.mode === "existing") {
      if (!values.existing) return form.setFieldError("existing", "Choose an environment.");
      return step.onDone(values.existing);
    }
    const body: EnvironmentCreate = { name: values.name.trim(), description: values.description };
    const created = await api.post<Environment>(`/workspaces/${seg(workspace)}/environments`, body);
    step.onDone(created.name);
  });
  return (
    <StepFrame
      number={step.number}
      total={step.total}
      title="An environment"
      intro={
        <>
          An environment of <strong>{workspace}</strong> (production, staging, dev…) keeps its connections,
          resources and keys apart from the others&apos;.
        </>
      }
      onSubmit={onSubmit}
      onBack={step.onBack}
      busy={form.submitting}
      stuck={names.length === 0 && !mayCreate ? <>{workspace} has no environment and you may not create one.</> : null}
    >
      <TenancyFields form={form} names={names} mayCreate={mayCreate} kind="environment" nameHint="For example production." />
      <FormError form={form} />
    </StepFrame>
  );
}

export function EnvironmentStep({ workspace, ...step }: StepProps & { workspace: string }) {
  const list = useApi<Page<Environment>>(`/workspaces/${seg(workspace)}/environments`, { limit: 500 });
  const mayCreate = useCan("environment:create", environmentResource(workspace, "*"));
  if (list.error) return <ErrorBanner error={list.error} onRetry={list.reload} />;
  if (!list.data || mayCreate === undefined) return <Loading label="Loading environments…" />;
  return <EnvironmentForm {...step} workspace={workspace} environments={list.data.items} mayCreate={mayCreate} />;
}
