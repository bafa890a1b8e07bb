// Step 5: an API key that may call the resource; then its secret (shown this once) and
// snippets that call the gateway with it.

import { useState } from "react";
import { api, envPath } from "../../api/client";
import type { ApiKeyCreate, ApiKeyCreated } from "../../api/types";
import {
  ButtonLink,
  CopyableValue,
  CopyButton,
  FormError,
  Notice,
  Tabs,
  TextField,
  useForm,
} from "../../components";
import { scopePath, type Scope } from "../../layout/scope";
import { Can, useCan } from "../../permissions/Permissions";
import { aiResourceResource, apiKeyResource } from "../../permissions/resources";
import { snippets, type SnippetId } from "./snippets";
import { StepFrame } from "./wizard";

export function KeyStep({
  scope,
  resource,
  number,
  total,
  onCreated,
  onBack,
}: {
  scope: Scope;
  resource: string;
  number: number;
  total: number;
  onCreated: (key: ApiKeyCreated) => void;
  onBack: () => void;
}) {
  const mayCreate = useCan("api-key:create", apiKeyResource(scope.workspace, scope.environment));
  const form = useForm({ name: "my-app" });
  const onSubmit = form.submit(async (values) => {
    const body: ApiKeyCreate = { name: values.name.trim(), resources: [resource] };
    onCreated(await api.post<ApiKeyCreated>(envPath(scope.workspace, scope.environment, "/api-keys"), body));
  });
  return (
    <StepFrame
      number={number}
      total={total}
      title="An API key"
      intro={
        <>
          Applications send the key with each call. This one may call <strong>{resource}</strong>; you can give it more
          resources, limits and an expiry later.
        </>
      }
      onSubmit={onSubmit}
      onBack={onBack}
      busy={form.submitting}
      submitLabel="Create API key"
      canSubmit={mayCreate === true}
      stuck={mayCreate === false ? "You may not create API keys in this environment." : null}
    >
      {mayCreate ? (
        <TextField
          label="Key name"
          autoComplete="off"
          required
          hint="Which application uses it, e.g. my-app or backend."
          {...form.field("name")}
        />
      ) : null}
      <FormError form={form} />
    </StepFrame>
  );
}

/** The end: the key (once), snippets that work with it, and where to go next. */
export function TryIt({
  scope,
  resource,
  apiKey,
  onAnother,
}: {
  scope: Scope;
  resource: string;
  apiKey: ApiKeyCreated;
  onAnother: () => void;
}) {
  const [selected, setSelected] = useState<SnippetId>("curl");
  const all = snippets({ origin: window.location.origin, model: resource, key: apiKey.key });
  const shown = all.find((s) => s.id === selected) ?? all[0];
  return (
    <section className="card wizard-step wizard-done" aria-labelledby="wizard-done-title">
      <h2 id="wizard-done-title">Your gateway is ready</h2>
      <Notice tone="success">
        <span>
          Created the API key <strong>{apiKey.name}</strong> for the resource <strong>{resource}</strong>.
        </span>
      </Notice>
      <div className="field">
        <span className="field-label">API key</span>
        <CopyableValue label="API key" value={apiKey.key} />
        <p className="field-hint">
          Copy it now: it is shown only this once. Lost it? Rotate the key on the API keys page.
        </p>
      </div>
      <h3>Call it</h3>
      <p className="muted">
        The gateway speaks OpenAI&apos;s API at <code>{window.location.origin}/v1</code>; the resource&apos;s name is the
        model.
      </p>
      <Tabs
        label="Snippets"
        tabs={all.map((s) => ({ id: s.id, label: s.label }))}
        selected={selected}
        onSelect={(id) => setSelected(id as SnippetId)}
      >
        {shown ? (
          <div className="snippet">
            <div className="snippet-bar">
              <span className="field-hint">{shown.setup}</span>
              <CopyButton value={shown.code} label={`Copy ${shown.label} snippet`} />
            </div>
            <pre className="snippet-code">
              <code aria-label={`${shown.label} snippet`}>{shown.code}</code>
            </pre>
          </div>
        ) : null}
      </Tabs>
      <h3>Next</h3>
      <div className="wizard-next">
        <Can action="completion:execute" resource={aiResourceResource(scope.workspace, scope.environment, resource)}>
          <ButtonLink variant="primary" to={scopePath(scope, "playground", `?resource=${encodeURIComponent(resource)}`)}>
            Try it in the playground
          </ButtonLink>
        </Can>
        <ButtonLink to={scopePath(scope, "resources")}>Routing, limits and fallbacks</ButtonLink>
        <ButtonLink to={scopePath(scope, "usage")}>Watch its usage</ButtonLink>
        <button type="button" className="btn btn-ghost" onClick={onAnother}>
          Create another key
        </button>
      </div>
    </section>
  );
}
