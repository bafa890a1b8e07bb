// Create or edit a resource: name, primary model, routing rules, fallback chain, capacity
// and API keys, saved in one request. The server checks everything (the routing plugin the
// rules, the environment the models and keys); its error shows beside the part it names.

import { useState, type FormEvent, type ReactNode } from "react";
import { useNavigate, useParams } from "react-router-dom";
import { api, ApiError, envPath, seg } from "../../api/client";
import type { Resource } from "../../api/types";
import {
  Button,
  ButtonLink,
  CapacityEditor,
  CheckboxField,
  ErrorBanner,
  Loading,
  Notice,
  PageHeader,
  TextArea,
  TextField,
} from "../../components";
import { useApi } from "../../hooks/useApi";
import { scopePath, useEnvironmentScope } from "../../layout/scope";
import { useCan } from "../../permissions/Permissions";
import { aiResourceResource } from "../../permissions/resources";
import { placeError } from "./errors";
import { draftFromResource, draftParams, draftToApi, emptyDraft, type ResourceDraft } from "./draft";
import { FallbackEditor } from "./FallbackEditor";
import { ModelFields } from "./ModelFields";
import { RoutingEditor } from "./RoutingEditor";
import { useCatalog, type Catalog } from "./useCatalog";

/** What a user who may not change resources sees at an editor's address. */
function NotAllowed({ title, back }: { title: string; back: string }) {
  return (
    <section className="page">
      <PageHeader title={title} />
      <Notice tone="warning">Your roles do not allow this change.</Notice>
      <ButtonLink to={back}>Back</ButtonLink>
    </section>
  );
}

/** `/resources/new`. */
export function NewResourcePage() {
  const scope = useEnvironmentScope();
  const allowed = useCan("ai-resource:create", aiResourceResource(scope.workspace, scope.environment));
  if (allowed === undefined) return <Loading />;
  if (!allowed) return <NotAllowed title="New resource" back={scopePath(scope, "resources")} />;
  return <ResourceForm resource={null} />;
}

/** `/resources/:name/edit`. */
export function EditResourcePage() {
  const scope = useEnvironmentScope();
  const { name = "" } = useParams();
  const loaded = useApi<Resource>(envPath(scope.workspace, scope.environment, `/resources/${seg(name)}`));
  const allowed = useCan("ai-resource:update", aiResourceResource(scope.workspace, scope.environment, name));
  if (loaded.loading || allowed === undefined) return <Loading label="Loading the resource…" />;
  if (!allowed) return <NotAllowed title={`Edit ${name}`} back={scopePath(scope, "resources", `/${seg(name)}`)} />;
  if (loaded.error || !loaded.data) {
    return (
      <section className="page">
        <PageHeader title={`Edit ${name}`} />
        <ErrorBanner error={loaded.error} onRetry={loaded.reload} />
      </section>
    );
  }
  return <ResourceForm key={loaded.data.updatedAt} resource={loaded.data} />;
}

function Section({ title, description, children }: { title: string; description?: ReactNode; children: ReactNode }) {
  return (
    <section className="card editor-section">
      <h2>{title}</h2>
      {description ? <p className="muted section-description">{description}</p> : null}
      {children}
    </section>
  );
}

function ResourceForm({ resource }: { resource: Resource | null }) {
  const scope = useEnvironmentScope();
  const navigate = useNavigate();
  const catalog = useCatalog(scope.workspace, scope.environment);
  const [draft, setDraft] = useState<ResourceDraft>(() => (resource ? draftFromResource(resource) : emptyDraft()));
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const set = <K extends keyof ResourceDraft>(name: K, value: ResourceDraft[K]) =>
    setDraft((current) => ({ ...current, [name]: value }));

  const placement = placeError(error, draftParams(draft));
  const errorAt = placement.at;
  const keysEditable = catalog.keys !== null;
  const resourcesPath = envPath(scope.workspace, scope.environment, "/resources");

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (saving) return;
    setSaving(true);
    setError(null);
    try {
      const body = draftToApi(draft, keysEditable);
      const saved = resource
        ? await api.patch<Resource>(`${resourcesPath}/${seg(resource.name)}`, body)
        : await api.post<Resource>(resourcesPath, body);
      navigate(scopePath(scope, "resources", `/${seg(saved.name)}`));
    } catch (caught) {
      setError(caught);
    } finally {
      setSaving(false);
    }
  };

  const title = resource ? `Edit ${resource.name}` : "New resource";
  const cancelTo = resource ? scopePath(scope, "resources", `/${seg(resource.name)}`) : scopePath(scope, "resources");
  return (
    <section className="page">
      <PageHeader
        title={title}
        description="Applications call a resource by its name, as the model of their requests."
      />
      {catalog.error ? <ErrorBanner error={catalog.error} title="Some choices could not be loaded" onRetry={catalog.reload} /> : null}
      <form className="resource-form" onSubmit={(event) => void submit(event)} noValidate>
        <Section title="General">
          <TextField
            label="Name"
            value={draft.name}
            required
            autoComplete="off"
            hint="What applications send as the model, e.g. chat."
            onChange={(event) => set("name", event.target.value)}
            error={errorAt("name")}
          />
          <TextArea
            label="Description"
            rows={2}
            value={draft.description}
            onChange={(event) => set("description", event.target.value)}
            error={errorAt("description")}
          />
        </Section>

        <Section
          title="Primary model"
          description="Requests go here unless a routing rule sends them elsewhere. Without a connection, the gateway picks one of the provider's connections that admits the model."
        >
          <ModelFields
            label="Primary"
            name="model"
            value={draft.model}
            onChange={(model) => set("model", model)}
            catalog={catalog}
            errorAt={errorAt}
          />
          {!catalog.loading && catalog.connections.length === 0 ? (
            <p className="field-hint">This environment has no connections yet: requests can only be served once it has one.</p>
          ) : null}
        </Section>

        <Section title="Routing rules" description="Evaluated in order; the first rule that matches decides.">
          <RoutingEditor value={draft.routing} onChange={(routing) => set("routing", routing)} catalog={catalog} errorAt={errorAt} />
        </Section>

        <Section title="Fallback chain">
          <FallbackEditor
            useFallback={draft.useFallback}
            onUseFallback={(value) => set("useFallback", value)}
            rows={draft.fallbacks}
            onChange={(rows) => set("fallbacks", rows)}
            catalog={catalog}
            errorAt={errorAt}
          />
        </Section>

        <Section title="Capacity" description="Limits of this resource, on top of each connection's own.">
          <CapacityEditor
            label="Resource limits"
            value={draft.capacity}
            onChange={(capacity) => set("capacity", capacity)}
            error={errorAt("capacity") ?? undefined}
            errorParam={error instanceof ApiError ? error.param : null}
          />
          <CheckboxField
            label="Enforce these limits"
            hint="Off: the limits are counted and shown, but requests are not refused."
            checked={draft.enforceCapacity}
            onChange={(event) => set("enforceCapacity", event.target.checked)}
            error={errorAt("enforceCapacity")}
          />
          <TextField
            label="Longest wait for capacity (ms)"
            type="number"
            min={0}
            max={300000}
            value={draft.maxQueueWaitMs}
            placeholder="no waiting"
            hint="How long a request may wait for capacity to free up before it is refused."
            onChange={(event) => set("maxQueueWaitMs", event.target.value)}
            error={errorAt("maxQueueWaitMs")}
          />
        </Section>

        <KeysSection catalog={catalog} value={draft.keys} onChange={(keys) => set("keys", keys)} error={errorAt("assignApiKeys")} />

        {placement.unclaimed ? <ErrorBanner error={placement.unclaimed} title="Not saved" /> : null}
        {error && !placement.unclaimed ? (
          <p className="field-error" role="status">
            Not saved: see the message beside the field it concerns.
          </p>
        ) : null}
        <div className="form-actions editor-actions">
          <Button type="submit" variant="primary" busy={saving}>
            {resource ? "Save changes" : "Create resource"}
          </Button>
          <ButtonLink to={cancelTo}>Cancel</ButtonLink>
        </div>
      </form>
    </section>
  );
}

function KeysSection({
  catalog,
  value,
  onChange,
  error,
}: {
  catalog: Catalog;
  value: string[];
  onChange: (keys: string[]) => void;
  error: string | null;
}) {
  if (catalog.keys === null) {
    if (catalog.loading) return null;
    return (
      <Section title="API keys">
        <p className="muted">
          {value.length ? `Assigned: ${value.join(", ")}.` : "No key is assigned."} You may not list this environment’s keys, so
          they are left as they are.
        </p>
      </Section>
    );
  }
  const names = [...new Set([...catalog.keys.map((key) => key.name), ...value])].sort();
  const toggle = (name: string, on: boolean) =>
    onChange(on ? [...value, name] : value.filter((current) => current !== name));
  return (
    <Section title="API keys" description="The keys that may call this resource.">
      <fieldset className="field key-choices" aria-describedby={error ? "resource-keys-error" : undefined}>
        <legend className="visually-hidden">Assigned API keys</legend>
        {names.length === 0 ? <p className="muted">This environment has no API keys yet.</p> : null}
        {names.map((name) => (
          <label key={name} className="checkbox-label">
            <input type="checkbox" checked={value.includes(name)} onChange={(event) => toggle(name, event.target.checked)} />
            {name}
          </label>
        ))}
        {error ? (
          <div id="resource-keys-error" className="field-error" role="alert">
            {error}
          </div>
        ) : null}
      </fieldset>
    </Section>
  );
}
