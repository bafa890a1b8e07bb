// Step 3: a connection, i.e. a provider account: the provider, its settings and credentials
// (forms drawn from the provider's schemas) and, optionally, the capacity it may use.

import { ApiError, api, envPath } from "../../api/client";
import type { CapacityEntry, Connection, ConnectionCreate, Page, Provider } from "../../api/types";
import {
  CapacityEditor,
  ErrorBanner,
  FormError,
  Loading,
  SelectField,
  TextField,
  useForm,
} from "../../components";
import { useApi } from "../../hooks/useApi";
import type { Scope } from "../../layout/scope";
import { useCan } from "../../permissions/Permissions";
import { connectionResource } from "../../permissions/resources";
import { ConnectionSettingsFields } from "../connections/ConnectionSettingsFields";
import type { StepProps } from "./TenancySteps";
import { ExistingChoice, initialMode, StepFrame, type Mode } from "./wizard";

interface Values extends Record<string, unknown> {
  mode: Mode;
  existing: string;
  provider: string;
  name: string;
  /** Whether the name was typed (else it follows the provider). */
  named: boolean;
  settings: Record<string, unknown>;
  credentials: Record<string, unknown>;
  capacity: CapacityEntry[];
}

/** OpenAI first when installed: most gateways start there. */
function defaultProvider(providers: Provider[]): string {
  return (providers.find((p) => p.name === "openai") ?? providers[0])?.name ?? "";
}

function ConnectionForm({
  scope,
  providers,
  connections,
  mayCreate,
  ...step
}: StepProps & { scope: Scope; providers: Provider[]; connections: Connection[]; mayCreate: boolean }) {
  const names = connections.map((c) => c.name);
  const first = defaultProvider(providers);
  const form = useForm<Values>({
    mode: initialMode(names.length, mayCreate),
    existing: step.selected && names.includes(step.selected) ? step.selected : (names[0] ?? ""),
    provider: first,
    name: names.includes(first) ? "" : first,
    named: false,
    settings: {},
    credentials: {},
    capacity: [],
  });
  const { values } = form;
  const provider = providers.find((p) => p.name === values.provider);

  const onSubmit = form.submit(async (v) => {
    if (v.mode === "existing") {
      if (!v.existing) return form.setFieldError("existing", "Choose a connection.");
      return step.onDone(v.existing);
    }
    if (!v.provider) return form.setFieldError("provider", "Choose a provider.");
    const body: ConnectionCreate = {
      name: v.name.trim(),
      provider: v.provider,
      settings: v.settings,
      credentials: v.credentials,
      capacity: v.capacity,
    };
    const created = await api.post<Connection>(envPath(scope.workspace, scope.environment, "/connections"), body);
    step.onDone(created.name);
  });

  return (
    <StepFrame
      number={step.number}
      total={step.total}
      title="A connection to a provider"
      intro="A connection is a provider account: where to call it and its credentials. The gateway calls providers through connections."
      onSubmit={onSubmit}
      onBack={step.onBack}
      busy={form.submitting}
      stuck={names.length === 0 && !mayCreate ? "This environment has no connection and you may not create one." : null}
    >
      <ExistingChoice
        form={form}
        kind="connection"
        label="Connection"
        options={connections.map((c) => ({ value: c.name, label: `${c.name} (${c.provider})` }))}
        mayCreate={mayCreate}
      />
      {values.mode === "new" ? (
        <>
          <SelectField
            label="Provider"
            required
            placeholder="Choose a provider"
            options={providers.map((p) => ({ value: p.name, label: p.displayName }))}
            {...form.field("provider")}
            onChange={(event) => {
              const next = event.target.value;
              form.setValues({
                ...values,
                provider: next,
                name: values.named || names.includes(next) ? values.name : next,
                settings: {},
                credentials: {},
              });
            }}
          />
          <TextField
            label="Connection name"
            autoComplete="off"
            required
            hint="Resources name it to use this account."
            {...form.field("name")}
            onChange={(event) => form.setValues({ ...values, name: event.target.value, named: true })}
          />
          {provider ? (
            <>
              <ConnectionSettingsFields
                form={form}
                provider={provider}
                idPrefix="wizard"
                as="fieldset"
                credentialsHint="Stored encrypted; never shown again."
              />
              <CapacityEditor
                label="Capacity (optional)"
                hint="What this account may use, e.g. its rate limits. Requests over a limit wait or go to a fallback."
                value={values.capacity}
                onChange={(capacity) => form.setValue("capacity", capacity)}
                error={form.errorFor("capacity") ?? undefined}
                errorParam={form.error instanceof ApiError ? form.error.param : null}
              />
            </>
          ) : null}
        </>
      ) : null}
      <FormError form={form} />
    </StepFrame>
  );
}

export function ConnectionStep({ scope, ...step }: StepProps & { scope: Scope }) {
  const providers = useApi<Provider[]>("/providers");
  const connections = useApi<Page<Connection>>(envPath(scope.workspace, scope.environment, "/connections"), {
    limit: 500,
  });
  const mayCreate = useCan("ai-connection:create", connectionResource(scope.workspace, scope.environment));
  const error = providers.error ?? connections.error;
  if (error) {
    return (
      <ErrorBanner
        error={error}
        onRetry={() => {
          providers.reload();
          connections.reload();
        }}
      />
    );
  }
  if (!providers.data || !connections.data || mayCreate === undefined) return <Loading label="Loading providers…" />;
  return (
    <ConnectionForm
      {...step}
      scope={scope}
      providers={providers.data}
      connections={connections.data.items}
      mayCreate={mayCreate}
    />
  );
}
