// Create or edit a connection: the provider, its settings and credentials (forms drawn from
// the provider's schemas), allowed models and capacity. The server checks everything; its
// errors show beside the field they name (`settings.baseUrl`, `capacity[0]`, `name`).

import { useNavigate } from "react-router-dom";
import { ApiError, api, envPath, seg } from "../../api/client";
import type { CapacityEntry, Connection, ConnectionCreate, ConnectionUpdate, Provider } from "../../api/types";
import {
  Button,
  ButtonLink,
  CapacityEditor,
  CheckboxField,
  FormError,
  SelectField,
  TextArea,
  TextField,
  useForm,
} from "../../components";
import { scopePath, type Scope } from "../../layout/scope";
import { ConnectionSettingsFields } from "./ConnectionSettingsFields";
import { ModelsEditor } from "./ModelsEditor";

interface Values extends Record<string, unknown> {
  name: string;
  description: string;
  provider: string;
  settings: Record<string, unknown>;
  credentials: Record<string, unknown>;
  capacity: CapacityEntry[];
  allowAll: boolean;
  allowedModels: string[];
  enforceDiscoveredCapacity: boolean;
}

function initialValues(connection: Connection | undefined, providers: Provider[]): Values {
  if (connection) {
    return {
      name: connection.name,
      description: connection.description,
      provider: connection.provider,
      settings: { ...connection.settings },
      credentials: {},
      capacity: connection.capacity,
      allowAll: connection.allowedModels === null,
      allowedModels: connection.allowedModels ?? [],
      enforceDiscoveredCapacity: connection.enforceDiscoveredCapacity,
    };
  }
  return {
    name: "",
    description: "",
    provider: providers.length === 1 && providers[0] ? providers[0].name : "",
    settings: {},
    credentials: {},
    capacity: [],
    allowAll: true,
    allowedModels: [],
    enforceDiscoveredCapacity: false,
  };
}

/** Whether any credential box holds something (on edit, none: keep the stored ones). */
const anyCredential = (credentials: Record<string, unknown>): boolean =>
  Object.values(credentials).some((value) => value !== undefined && value !== "");

export function ConnectionForm({
  scope,
  providers,
  connection,
}: {
  scope: Scope;
  providers: Provider[];
  /** The connection to edit; none: create one. */
  connection?: Connection;
}) {
  const navigate = useNavigate();
  const form = useForm<Values>(initialValues(connection, providers));
  const { values } = form;
  const provider = providers.find((p) => p.name === values.provider);
  const listPath = envPath(scope.workspace, scope.environment, "/connections");

  const capacityError = form.errorFor("capacity") ?? undefined;
  const errorParam = form.error instanceof ApiError ? form.error.param : null;

  const onSubmit = form.submit(async (v) => {
    if (!v.provider) {
      form.setFieldError("provider", "Choose a provider.");
      return;
    }
    const allowedModels = v.allowAll ? null : v.allowedModels;
    if (connection) {
      const body: ConnectionUpdate = {
        name: v.name,
        description: v.description,
        settings: v.settings,
        capacity: v.capacity,
        allowedModels,
        enforceDiscoveredCapacity: v.enforceDiscoveredCapacity,
      };
      // Credentials are write-only and sent only when typed: they then replace them all.
      if (anyCredential(v.credentials)) body.credentials = v.credentials;
      const saved = await api.patch<Connection>(`${listPath}/${seg(connection.name)}`, body);
      navigate(scopePath(scope, "connections", `/${seg(saved.name)}`));
    } else {
      const body: ConnectionCreate = {
        name: v.name,
        provider: v.provider,
        description: v.description,
        settings: v.settings,
        credentials: v.credentials,
        capacity: v.capacity,
        allowedModels,
        enforceDiscoveredCapacity: v.enforceDiscoveredCapacity,
      };
      const created = await api.post<Connection>(listPath, body);
      navigate(scopePath(scope, "connections", `/${seg(created.name)}`));
    }
  });

  const cancelTo = connection
    ? scopePath(scope, "connections", `/${seg(connection.name)}`)
    : scopePath(scope, "connections");

  return (
    <form className="form connection-form" onSubmit={onSubmit} noValidate>
      <TextField label="Name" autoComplete="off" required {...form.field("name")} hint="Resources name it to use this connection." />
      <TextArea label="Description" rows={2} {...form.field("description")} />
      {connection ? (
        <div className="field">
          <span className="field-label">Provider</span>
          <span>{provider?.displayName ?? connection.provider}</span>
        </div>
      ) : (
        <SelectField
          label="Provider"
          required
          placeholder="Choose a provider"
          options={providers.map((p) => ({ value: p.name, label: p.displayName }))}
          {...form.field("provider")}
          onChange={(event) =>
            form.setValues({ ...values, provider: event.target.value, settings: {}, credentials: {} })
          }
        />
      )}

      {provider ? (
        <>
          <ConnectionSettingsFields
            form={form}
            provider={provider}
            idPrefix="connection"
            as="section"
            credentialsHint={
              connection
                ? "Stored encrypted and never shown again. Leave every box empty to keep the current credentials; filling any replaces them all."
                : "Stored encrypted and never shown again."
            }
            setCredentialFields={connection?.credentialFields ?? []}
          />
          <section className="form-section" aria-labelledby="connection-limits-title">
            <h2 id="connection-limits-title">Models and capacity</h2>
            <ModelsEditor
              allowAll={values.allowAll}
              models={values.allowedModels}
              suggestions={provider.knownModels}
              error={form.errorFor("allowedModels")}
              onChange={(allowAll, allowedModels) => form.setValues({ ...values, allowAll, allowedModels })}
            />
            <CapacityEditor
              label="Capacity"
              hint="What this provider account may use; requests over a limit wait or go to a fallback."
              value={values.capacity}
              onChange={(capacity) => form.setValue("capacity", capacity)}
              error={capacityError}
              errorParam={errorParam}
            />
            <CheckboxField
              label="Also hold to the limits the provider announces"
              hint="Providers announce their rate limits in their answers (discovered capacity)."
              {...form.checkbox("enforceDiscoveredCapacity")}
            />
          </section>
        </>
      ) : null}

      <FormError form={form} />
      <div className="form-actions">
        <Button type="submit" variant="primary" busy={form.submitting}>
          {connection ? "Save changes" : "Create connection"}
        </Button>
        <ButtonLink to={cancelTo}>Cancel</ButtonLink>
      </div>
    </form>
  );
}
