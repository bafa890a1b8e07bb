// Which plugins are on in an environment, and the settings of those that take any (a form
// drawn from the plugin's JSON Schema). Saving sends the environment's whole `plugins` map:
// a plugin is listed only where it differs from its default or carries settings.

import { api, envPath } from "../../api/client";
import type { Environment, EnvironmentPlugin, PluginSelection } from "../../api/types";
import { Button, CheckboxField, FormError, SchemaForm, schemaErrors, useForm } from "../../components";
import type { Scope } from "../../layout/scope";
import { useSaved } from "./saved";

interface Draft {
  enabled: boolean;
  settings: Record<string, unknown>;
}

type Drafts = Record<string, Draft>;

function draftsOf(plugins: EnvironmentPlugin[]): Drafts {
  return Object.fromEntries(plugins.map((p) => [p.name, { enabled: p.enabled, settings: { ...p.settings } }]));
}

/** The `plugins` map for these choices: defaults left out; a plugin off here carries no settings. */
export function selectionOf(plugins: EnvironmentPlugin[], drafts: Drafts): Record<string, PluginSelection> {
  const selection: Record<string, PluginSelection> = {};
  for (const plugin of plugins) {
    const draft = drafts[plugin.name];
    if (!draft) continue;
    const hasSettings = plugin.settingsSchema !== null && Object.keys(draft.settings).length > 0;
    if (draft.enabled) {
      if (!plugin.enabledByDefault || hasSettings) {
        selection[plugin.name] = hasSettings ? { enabled: true, settings: draft.settings } : { enabled: true };
      }
    } else if (plugin.enabledByDefault) {
      selection[plugin.name] = { enabled: false };
    }
  }
  return selection;
}

/** A plugin's description is its docstring's first paragraph: drop reStructuredText's ``code``
 * marks. */
const plainText = (text: string): string => text.replace(/``([^`]+)``/g, "$1");

const fieldId = (name: string) => `plugin-${name.replace(/[^A-Za-z0-9_-]/g, "_")}`;

export function PluginsForm({
  scope,
  plugins,
  editable,
  onSaved,
}: {
  scope: Scope;
  plugins: EnvironmentPlugin[];
  editable: boolean;
  onSaved: () => void;
}) {
  const form = useForm<{ drafts: Drafts }>({ drafts: draftsOf(plugins) });
  const drafts = form.values.drafts;
  const saved = useSaved(drafts);
  const update = (name: string, change: Partial<Draft>) => {
    const current = drafts[name] ?? { enabled: false, settings: {} };
    form.setValue("drafts", { ...drafts, [name]: { ...current, ...change } });
  };
  const onSubmit = form.submit(async () => {
    await api.patch<Environment>(envPath(scope.workspace, scope.environment), {
      plugins: selectionOf(plugins, drafts),
    });
    saved.show();
    onSaved();
  });

  return (
    <form className="form plugin-form" onSubmit={onSubmit} noValidate aria-label="Plugins">
      <ul className="plugin-list">
        {plugins.map((plugin) => {
          const draft = drafts[plugin.name] ?? { enabled: plugin.enabled, settings: {} };
          const prefix = `plugins.${plugin.name}`;
          const schema = plugin.settingsSchema;
          const showSettings = schema !== null && draft.enabled;
          const settingsErrors = showSettings
            ? schemaErrors(form.errorFor, form.error, `${prefix}.settings`, schema)
            : { fields: {}, whole: undefined };
          const fieldMatched = Object.values(settingsErrors.fields).some(Boolean);
          const entryError = fieldMatched || settingsErrors.whole ? null : form.errorFor(prefix);
          return (
            <li key={plugin.name} className={`plugin${draft.enabled ? " plugin-on" : ""}`}>
              <div className="plugin-head">
                <CheckboxField
                  id={fieldId(plugin.name)}
                  label={<span className="plugin-name">{plugin.name}</span>}
                  hint={plugin.description ? plainText(plugin.description) : undefined}
                  error={entryError}
                  checked={draft.enabled}
                  disabled={!editable}
                  onChange={(event) => update(plugin.name, { enabled: event.target.checked })}
                />
                <span className="plugin-meta">
                  {plugin.enabledByDefault ? "On by default" : "Off by default"}
                  {plugin.version ? ` · ${plugin.version}` : ""}
                </span>
              </div>
              {showSettings ? (
                <fieldset className="plugin-settings" disabled={!editable}>
                  <legend>Settings of {plugin.name}</legend>
                  <SchemaForm
                    idPrefix={`${fieldId(plugin.name)}-settings`}
                    schema={schema}
                    value={draft.settings}
                    onChange={(settings) => update(plugin.name, { settings })}
                    errors={settingsErrors.fields}
                    error={settingsErrors.whole}
                    disabled={!editable}
                  />
                </fieldset>
              ) : null}
            </li>
          );
        })}
      </ul>
      <FormError form={form} />
      {editable ? (
        <div className="form-actions">
          <Button type="submit" variant="primary" busy={form.submitting}>
            Save plugins
          </Button>
          {saved.notice}
        </div>
      ) : null}
    </form>
  );
}
