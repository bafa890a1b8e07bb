// A connection's settings and credentials, as forms drawn from its provider's schemas, with
// the server's errors (`settings.baseUrl`, `credentials`) beside the boxes they name. Shared by
// the connection form and the getting-started wizard.

import type { ReactNode } from "react";
import type { Provider } from "../../api/types";
import { SchemaForm, schemaErrors, type FormState } from "../../components";

interface ConnectionSettingsValues extends Record<string, unknown> {
  settings: Record<string, unknown>;
  credentials: Record<string, unknown>;
}

/** One titled group: a form section with a heading, or a fieldset with a legend. */
function Group({
  as,
  id,
  title,
  children,
}: {
  as: "section" | "fieldset";
  id: string;
  title: string;
  children: ReactNode;
}) {
  if (as === "fieldset") {
    return (
      <fieldset className="wizard-group">
        <legend>{title}</legend>
        {children}
      </fieldset>
    );
  }
  return (
    <section className="form-section" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      {children}
    </section>
  );
}

export function ConnectionSettingsFields<V extends ConnectionSettingsValues>({
  form,
  provider,
  idPrefix,
  as,
  credentialsHint,
  setCredentialFields = [],
}: {
  form: FormState<V>;
  provider: Provider;
  /** Prefix of the boxes' ids (and the sections'): unique on the page. */
  idPrefix: string;
  as: "section" | "fieldset";
  credentialsHint: string;
  /** Credential fields the connection has stored already (on edit). */
  setCredentialFields?: string[];
}) {
  const settingsErrors = schemaErrors(form.errorFor, form.error, "settings", provider.settingsSchema);
  const credentialErrors = schemaErrors(form.errorFor, form.error, "credentials", provider.credentialsSchema);
  return (
    <>
      <Group as={as} id={`${idPrefix}-settings`} title="Settings">
        <SchemaForm
          idPrefix={`${idPrefix}-settings`}
          schema={provider.settingsSchema}
          value={form.values.settings}
          onChange={(settings) => form.setValue("settings", settings as V["settings"])}
          errors={settingsErrors.fields}
          error={settingsErrors.whole}
        />
      </Group>
      <Group as={as} id={`${idPrefix}-credentials`} title="Credentials">
        <p className="field-hint">{credentialsHint}</p>
        <SchemaForm
          idPrefix={`${idPrefix}-credentials`}
          schema={provider.credentialsSchema}
          value={form.values.credentials}
          onChange={(credentials) => form.setValue("credentials", credentials as V["credentials"])}
          errors={credentialErrors.fields}
          error={credentialErrors.whole}
          secret
          setFields={setCredentialFields}
        />
      </Group>
    </>
  );
}
