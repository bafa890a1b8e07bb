// Create or edit an API key: name, resources it may call, expiry, labels and capacity. On
// create the page shows the new secret once (`onCreated`); on edit the secret stays.

import { ApiError, api, envPath, seg } from "../../api/client";
import type { ApiKey, ApiKeyCreate, ApiKeyCreated, ApiKeyUpdate, CapacityEntry, Page, Resource } from "../../api/types";
import {
  Button,
  ButtonLink,
  CapacityEditor,
  CheckboxField,
  FormError,
  TextArea,
  TextField,
  useForm,
} from "../../components";
import { useApi } from "../../hooks/useApi";
import { scopePath, type Scope } from "../../layout/scope";
import { ResourcePicker, fromLocalInput, toLocalInput } from "./keyParts";

interface Values extends Record<string, unknown> {
  name: string;
  description: string;
  enabled: boolean;
  expiresAt: string;
  labels: string;
  resources: string[];
  capacity: CapacityEntry[];
  enforceCapacity: boolean;
}

function initialValues(key: ApiKey | undefined): Values {
  return {
    name: key?.name ?? "",
    description: key?.description ?? "",
    enabled: key?.enabled ?? true,
    expiresAt: toLocalInput(key?.expiresAt),
    labels: (key?.labels ?? []).join(", "),
    resources: key?.resources ?? [],
    capacity: key?.capacity ?? [],
    enforceCapacity: key?.enforceCapacity ?? false,
  };
}

const splitLabels = (text: string): string[] =>
  text
    .split(",")
    .map((label) => label.trim())
    .filter(Boolean);

export function ApiKeyForm({
  scope,
  apiKey,
  onCreated,
  onSaved,
}: {
  scope: Scope;
  /** The key to edit; none: create one. */
  apiKey?: ApiKey;
  onCreated?: (created: ApiKeyCreated) => void;
  onSaved?: (saved: ApiKey) => void;
}) {
  const form = useForm<Values>(initialValues(apiKey));
  const { values } = form;
  const listPath = envPath(scope.workspace, scope.environment, "/api-keys");
  const resources = useApi<Page<Resource>>(envPath(scope.workspace, scope.environment, "/resources"), { limit: 500 });
  const errorParam = form.error instanceof ApiError ? form.error.param : null;

  const onSubmit = form.submit(async (v) => {
    const common = {
      name: v.name,
      description: v.description,
      enabled: v.enabled,
      labels: splitLabels(v.labels),
      resources: v.resources,
      capacity: v.capacity,
      enforceCapacity: v.enforceCapacity,
    };
    if (apiKey) {
      const body: ApiKeyUpdate = { ...common };
      // An unchanged expiry is not sent: one already past would be refused as "not in the future".
      if (v.expiresAt !== toLocalInput(apiKey.expiresAt)) body.expiresAt = fromLocalInput(v.expiresAt);
      onSaved?.(await api.patch<ApiKey>(`${listPath}/${seg(apiKey.name)}`, body));
    } else {
      const body: ApiKeyCreate = { ...common, expiresAt: fromLocalInput(v.expiresAt) };
      onCreated?.(await api.post<ApiKeyCreated>(listPath, body));
    }
  });

  const cancelTo = apiKey ? scopePath(scope, "api-keys", `/${seg(apiKey.name)}`) : scopePath(scope, "api-keys");

  return (
    <form className="form api-key-form" onSubmit={onSubmit} noValidate>
      <TextField label="Name" autoComplete="off" required hint="Which application or team uses it." {...form.field("name")} />
      <TextArea label="Description" rows={2} {...form.field("description")} />
      <ResourcePicker
        scope={scope}
        resources={resources.data?.items}
        loading={resources.loading}
        loadError={resources.error}
        value={values.resources}
        onChange={(next) => form.setValue("resources", next)}
        error={form.errorFor("resources")}
      />
      <TextField
        label="Expires"
        type="datetime-local"
        hint="Empty: the key never expires. In your time zone."
        {...form.field("expiresAt")}
      />
      <TextField label="Labels" hint="Separate several with commas (e.g. team-a, batch)." {...form.field("labels")} />
      <CapacityEditor
        label="Capacity"
        hint="Limits for this key alone, across the resources it calls."
        value={values.capacity}
        onChange={(capacity) => form.setValue("capacity", capacity)}
        error={form.errorFor("capacity") ?? undefined}
        errorParam={errorParam}
      />
      <CheckboxField
        label="Hold requests to these limits"
        hint="Off: the limits are shown but not enforced."
        {...form.checkbox("enforceCapacity")}
      />
      <CheckboxField label="Enabled" hint="A disabled key is refused until enabled again." {...form.checkbox("enabled")} />
      <FormError form={form} />
      <div className="form-actions">
        <Button type="submit" variant="primary" busy={form.submitting}>
          {apiKey ? "Save changes" : "Create key"}
        </Button>
        <ButtonLink to={cancelTo}>Cancel</ButtonLink>
      </div>
    </form>
  );
}
