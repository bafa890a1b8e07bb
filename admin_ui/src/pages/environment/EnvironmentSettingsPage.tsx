// An environment's settings (/w/:ws/e/:env/settings): its name and description, which plugins
// are on here with their settings, and what request records keep of payloads. Each section
// saves on its own; the server validates (a plugin checks its own settings) and its errors
// show beside the field they name (`plugins.kms.settings.keyId`, `recording.redactPaths[0]`).

import { useNavigate } from "react-router-dom";
import { api, envPath } from "../../api/client";
import type { Environment, EnvironmentPlugin, EnvironmentUpdate, PayloadMode } from "../../api/types";
import {
  Button,
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
import { scopePath, useEnvironmentScope, type Scope } from "../../layout/scope";
import { useCan } from "../../permissions/Permissions";
import { environmentResource } from "../../permissions/resources";
import { PluginsForm } from "./PluginsForm";
import { RecordingForm } from "./RecordingForm";
import { useSaved } from "./saved";

function GeneralForm({
  scope,
  environment,
  editable,
  onSaved,
}: {
  scope: Scope;
  environment: Environment;
  editable: boolean;
  onSaved: (environment: Environment) => void;
}) {
  const form = useForm({ name: environment.name, description: environment.description });
  const saved = useSaved(form.values);
  const onSubmit = form.submit(async (values) => {
    const body: EnvironmentUpdate = { name: values.name.trim(), description: values.description };
    const answer = await api.patch<Environment>(envPath(scope.workspace, scope.environment), body);
    saved.show();
    onSaved(answer);
  });
  return (
    <form className="form card" onSubmit={onSubmit} noValidate aria-labelledby="environment-general">
      <h2 id="environment-general">General</h2>
      <TextField
        label="Name"
        autoComplete="off"
        required
        readOnly={!editable}
        hint="Renaming changes its pages' addresses and the names policies use for it."
        {...form.field("name")}
      />
      <TextArea label="Description" rows={2} readOnly={!editable} {...form.field("description")} />
      <FormError form={form} />
      {editable ? (
        <div className="form-actions">
          <Button type="submit" variant="primary" busy={form.submitting}>
            Save name and description
          </Button>
          {saved.notice}
        </div>
      ) : null}
    </form>
  );
}

export default function EnvironmentSettingsPage() {
  const scope = useEnvironmentScope();
  const navigate = useNavigate();
  const path = envPath(scope.workspace, scope.environment);
  const environment = useApi<Environment>(path);
  const plugins = useApi<EnvironmentPlugin[]>(`${path}/plugins`);
  const editable = useCan("environment:update", environmentResource(scope.workspace, scope.environment)) === true;

  const header = (
    <PageHeader
      title="Environment settings"
      description={`${scope.workspace} / ${scope.environment}: its plugins, their settings, and what request records keep.`}
    />
  );
  if (environment.loading && !environment.data) {
    return (
      <section className="page">
        {header}
        <Loading label="Loading the environment…" />
      </section>
    );
  }
  if (environment.error || !environment.data) {
    return (
      <section className="page">
        {header}
        <ErrorBanner error={environment.error} onRetry={environment.reload} />
      </section>
    );
  }
  const current = environment.data;
  return (
    <section className="page environment-settings">
      {header}
      <GeneralForm
        key={`general-${current.id}`}
        scope={scope}
        environment={current}
        editable={editable}
        onSaved={(saved) => {
          if (saved.name !== scope.environment) {
            navigate(scopePath({ workspace: scope.workspace, environment: saved.name }, "settings"), { replace: true });
          } else {
            environment.reload();
          }
        }}
      />
      <section className="card" aria-labelledby="environment-plugins">
        <h2 id="environment-plugins">Plugins</h2>
        <p className="muted">
          Which installed plugins work in this environment, and their settings here. A plugin not chosen
          explicitly follows its default.
        </p>
        {plugins.loading && !plugins.data ? <Loading label="Loading plugins…" /> : null}
        {plugins.error ? <ErrorBanner error={plugins.error} onRetry={plugins.reload} /> : null}
        {plugins.data && plugins.data.length === 0 ? (
          <EmptyState title="No plugins installed">This gateway runs without plugins.</EmptyState>
        ) : null}
        {plugins.data && plugins.data.length > 0 ? (
          <PluginsForm
            key={`plugins-${current.id}`}
            scope={scope}
            plugins={plugins.data}
            editable={editable}
            onSaved={() => {
              plugins.reload();
              environment.reload();
            }}
          />
        ) : null}
      </section>
      <RecordingForm
        key={`recording-${current.id}`}
        scope={scope}
        payload={current.recording.payload as PayloadMode}
        redactPaths={current.recording.redactPaths}
        editable={editable}
        onSaved={environment.reload}
      />
    </section>
  );
}
