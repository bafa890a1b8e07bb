// Step 4: a resource, the name applications send as `model`: its primary model through the
// connection just chosen and, optionally, a fallback model used when the primary fails.

import { api, envPath } from "../../api/client";
import type { Connection, ModelSpec, Page, Provider, Resource, ResourceCreate } from "../../api/types";
import {
  Button,
  CheckboxField,
  ErrorBanner,
  FormError,
  Loading,
  Notice,
  SelectField,
  TextField,
  useForm,
} from "../../components";
import { useApi } from "../../hooks/useApi";
import type { Scope } from "../../layout/scope";
import { useCan } from "../../permissions/Permissions";
import { aiResourceResource } from "../../permissions/resources";
import type { StepProps } from "./TenancySteps";
import { ExistingChoice, initialMode, StepFrame, type Mode } from "./wizard";

interface Values extends Record<string, unknown> {
  mode: Mode;
  existing: string;
  name: string;
  model: string;
  useFallback: boolean;
  fallbackConnection: string;
  fallbackModel: string;
}

/** Models to suggest for a connection: the ones it allows, else its provider's known ones. */
function modelsFor(connection: Connection | undefined, providers: Provider[]): string[] {
  if (!connection) return [];
  if (connection.allowedModels && connection.allowedModels.length > 0) return connection.allowedModels;
  return providers.find((p) => p.name === connection.provider)?.knownModels ?? [];
}

/** A cheap, common first model when the provider knows it. */
function suggestedModel(models: string[]): string {
  return models.find((m) => m === "gpt-4o-mini") ?? models[0] ?? "";
}

function ModelList({ id, models }: { id: string; models: string[] }) {
  return (
    <datalist id={id}>
      {models.map((model) => (
        <option key={model} value={model} />
      ))}
    </datalist>
  );
}

function ResourceForm({
  scope,
  connection,
  connections,
  providers,
  resources,
  mayCreate,
  ...step
}: StepProps & {
  scope: Scope;
  connection: Connection;
  connections: Connection[];
  providers: Provider[];
  resources: Resource[];
  mayCreate: boolean;
}) {
  const names = resources.map((r) => r.name);
  const others = connections.filter((c) => c.name !== connection.name);
  const form = useForm<Values>({
    mode: initialMode(names.length, mayCreate),
    existing: step.selected && names.includes(step.selected) ? step.selected : (names[0] ?? ""),
    name: names.includes("chat") ? "" : "chat",
    model: suggestedModel(modelsFor(connection, providers)),
    useFallback: false,
    fallbackConnection: (others[0] ?? connection).name,
    fallbackModel: "",
  });
  const { values } = form;
  const fallback = connections.find((c) => c.name === values.fallbackConnection);

  // The API names `model.model`, `fallbackModels[0].connection`...: each beside its box.
  const modelError = form.errorFor("model");
  const fallbackConnectionError =
    form.errorFor("fallbackModels[0].connection") ?? form.errorFor("fallbackModels[0].provider");
  const fallbackModelError = fallbackConnectionError ? null : form.errorFor("fallbackModels");

  const onSubmit = form.submit(async (v) => {
    if (v.mode === "existing") {
      if (!v.existing) return form.setFieldError("existing", "Choose a resource.");
      return step.onDone(v.existing);
    }
    if (!v.model.trim()) return form.setFieldError("model", "Name the model to call.");
    const fallbackModels: ModelSpec[] = [];
    if (v.useFallback) {
      if (!fallback) return form.setFieldError("fallbackModels[0].connection", "Choose a connection.");
      if (!v.fallbackModel.trim()) return form.setFieldError("fallbackModels[0].model", "Name the fallback model.");
      fallbackModels.push({ provider: fallback.provider, model: v.fallbackModel.trim(), connection: fallback.name });
    }
    const body: ResourceCreate = {
      name: v.name.trim(),
      model: { provider: connection.provider, model: v.model.trim(), connection: connection.name },
      useFallback: v.useFallback,
      fallbackModels,
    };
    const created = await api.post<Resource>(envPath(scope.workspace, scope.environment, "/resources"), body);
    step.onDone(created.name);
  });

  return (
    <StepFrame
      number={step.number}
      total={step.total}
      title="A resource for your applications"
      intro="Applications call a resource by its name (their model), and the gateway routes it to a model of a connection, with a fallback if that one fails."
      onSubmit={onSubmit}
      onBack={step.onBack}
      busy={form.submitting}
      stuck={names.length === 0 && !mayCreate ? "This environment has no resource and you may not create one." : null}
    >
      <ExistingChoice
        form={form}
        kind="resource"
        label="Resource"
        options={resources.map((r) => ({ value: r.name, label: `${r.name} (${r.model.model})` }))}
        mayCreate={mayCreate}
      />
      {values.mode === "new" ? (
        <>
          <TextField
            label="Resource name"
            autoComplete="off"
            required
            hint="What applications send as model, e.g. chat or summarize."
            {...form.field("name")}
          />
          <TextField
            label="Model"
            autoComplete="off"
            required
            list="wizard-primary-models"
            hint={`The model ${connection.name} (${connection.provider}) calls.`}
            {...form.field("model")}
            error={modelError}
          />
          <ModelList id="wizard-primary-models" models={modelsFor(connection, providers)} />
          <CheckboxField
            label="Add a fallback model"
            hint="Used when the primary model fails or is out of capacity."
            {...form.checkbox("useFallback")}
          />
          {values.useFallback ? (
            <fieldset className="wizard-group">
              <legend>Fallback</legend>
              <SelectField
                label="Fallback connection"
                options={connections.map((c) => ({ value: c.name, label: `${c.name} (${c.provider})` }))}
                {...form.field("fallbackConnection")}
                error={fallbackConnectionError}
              />
              <TextField
                label="Fallback model"
                autoComplete="off"
                list="wizard-fallback-models"
                {...form.field("fallbackModel")}
                error={fallbackModelError}
              />
              <ModelList id="wizard-fallback-models" models={modelsFor(fallback, providers)} />
            </fieldset>
          ) : null}
        </>
      ) : null}
      <FormError form={form} />
    </StepFrame>
  );
}

export function ResourceStep({
  scope,
  connection,
  ...step
}: StepProps & { scope: Scope; connection: string }) {
  const connections = useApi<Page<Connection>>(envPath(scope.workspace, scope.environment, "/connections"), {
    limit: 500,
  });
  const resources = useApi<Page<Resource>>(envPath(scope.workspace, scope.environment, "/resources"), {
    limit: 500,
  });
  const providers = useApi<Provider[]>("/providers");
  const mayCreate = useCan("ai-resource:create", aiResourceResource(scope.workspace, scope.environment));
  const error = connections.error ?? resources.error ?? providers.error;
  if (error) {
    return (
      <ErrorBanner
        error={error}
        onRetry={() => {
          connections.reload();
          resources.reload();
          providers.reload();
        }}
      />
    );
  }
  if (!connections.data || !resources.data || !providers.data || mayCreate === undefined) {
    return <Loading label="Loading resources…" />;
  }
  const chosen = connections.data.items.find((c) => c.name === connection);
  if (!chosen) {
    return (
      <div className="card wizard-step">
        <Notice tone="warning">The connection {connection} is gone: go back a step and choose or create another.</Notice>
        {step.onBack ? (
          <div className="form-actions">
            <Button onClick={step.onBack}>Back</Button>
          </div>
        ) : null}
      </div>
    );
  }
  return (
    <ResourceForm
      {...step}
      scope={scope}
      connection={chosen}
      connections={connections.data.items}
      providers={providers.data}
      resources={resources.data.items}
      mayCreate={mayCreate}
    />
  );
}
