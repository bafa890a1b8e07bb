// Provider, model and optional connection of one model reference (the primary model, a
// fallback, a rule's target). `name` is the reference's param (`model`,
// `fallbackModels[1]`, `routing.conditions[0].then`): errors about its parts show beside them.

import { useId } from "react";
import { SelectField, TextField } from "../../components";
import {
  connectionsOf,
  modelSuggestions,
  providerOptions,
  type ModelCatalog,
  type ModelDraft,
} from "./models";

export function modelParams(name: string): string[] {
  return [name, `${name}.provider`, `${name}.model`, `${name}.connection`];
}

export function ModelFields({
  label,
  name,
  value,
  onChange,
  catalog,
  errorAt,
  disabled,
}: {
  /** Names the controls: "Primary" gives "Primary provider", "Primary model", ... */
  label: string;
  name: string;
  value: ModelDraft;
  onChange: (value: ModelDraft) => void;
  catalog: ModelCatalog;
  errorAt: (name: string) => string | null;
  disabled?: boolean;
}) {
  const listId = useId();
  const suggestions = modelSuggestions(catalog, value.provider, value.connection);
  const connections = connectionsOf(catalog, value.provider);
  const connectionOptions = connections.map((c) => ({ value: c.name, label: c.name }));
  if (value.connection && !connectionOptions.some((o) => o.value === value.connection)) {
    connectionOptions.push({ value: value.connection, label: `${value.connection} (not of this provider)` });
  }
  const whole = errorAt(name);
  return (
    <div className="model-fields" role="group" aria-label={`${label} model reference`}>
      <div className="model-fields-row">
        <SelectField
          label="Provider"
          aria-label={`${label} provider`}
          value={value.provider}
          placeholder="Choose a provider"
          options={providerOptions(catalog, value.provider)}
          onChange={(event) => onChange({ ...value, provider: event.target.value, connection: "" })}
          error={errorAt(`${name}.provider`)}
          disabled={disabled}
          required
        />
        <TextField
          label="Model"
          aria-label={`${label} model`}
          value={value.model}
          list={listId}
          autoComplete="off"
          placeholder={suggestions[0] ?? "model name"}
          onChange={(event) => onChange({ ...value, model: event.target.value })}
          error={errorAt(`${name}.model`)}
          disabled={disabled}
          required
        />
        <SelectField
          label="Connection"
          aria-label={`${label} connection`}
          value={value.connection}
          placeholder="Any that admits the model"
          options={connectionOptions}
          onChange={(event) => onChange({ ...value, connection: event.target.value })}
          error={errorAt(`${name}.connection`)}
          disabled={disabled || !value.provider}
        />
      </div>
      <datalist id={listId}>
        {suggestions.map((model) => (
          <option key={model} value={model} />
        ))}
      </datalist>
      {whole ? (
        <div className="field-error" role="alert">
          {whole}
        </div>
      ) : null}
    </div>
  );
}
