// A connection's allowed models: "every model" or a list of names, edited as chips, with the
// provider's known models offered as suggestions.

import { useId, useState, type KeyboardEvent } from "react";
import { Button, CheckboxField } from "../../components";

export function ModelsEditor({
  allowAll,
  models,
  suggestions,
  onChange,
  error,
  disabled = false,
}: {
  allowAll: boolean;
  models: string[];
  suggestions: string[];
  onChange: (allowAll: boolean, models: string[]) => void;
  error?: string | null;
  disabled?: boolean;
}) {
  const id = useId();
  const [draft, setDraft] = useState("");
  const add = () => {
    const names = draft
      .split(/[\s,]+/)
      .map((name) => name.trim())
      .filter((name) => name && !models.includes(name));
    if (names.length) onChange(false, [...models, ...names]);
    setDraft("");
  };
  const onKey = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === "Enter") {
      // Enter adds the model instead of submitting the form.
      event.preventDefault();
      add();
    }
  };
  const offered = suggestions.filter((name) => !models.includes(name));

  return (
    <fieldset className={`field models-editor${error ? " field-invalid" : ""}`} aria-describedby={error ? `${id}-error` : undefined}>
      <legend className="field-label">Allowed models</legend>
      <CheckboxField
        label="Allow every model"
        hint="Off: requests may only use the models listed here."
        checked={allowAll}
        disabled={disabled}
        onChange={(event) => onChange(event.target.checked, models)}
      />
      {allowAll ? null : (
        <>
          {models.length === 0 ? (
            <p className="muted models-none">No model is allowed yet: add at least one.</p>
          ) : (
            <ul className="chips" aria-label="Allowed models">
              {models.map((name) => (
                <li key={name} className="chip">
                  <span>{name}</span>
                  {disabled ? null : (
                    <button
                      type="button"
                      className="chip-remove"
                      aria-label={`Remove model ${name}`}
                      onClick={() => onChange(false, models.filter((m) => m !== name))}
                    >
                      ×
                    </button>
                  )}
                </li>
              ))}
            </ul>
          )}
          {disabled ? null : (
            <div className="models-add">
              <label htmlFor={`${id}-add`} className="visually-hidden">
                Model to allow
              </label>
              <input
                id={`${id}-add`}
                className="input"
                list={`${id}-known`}
                placeholder={offered[0] ? `e.g. ${offered[0]}` : "Model name"}
                value={draft}
                onChange={(event) => setDraft(event.target.value)}
                onKeyDown={onKey}
              />
              <datalist id={`${id}-known`}>
                {offered.map((name) => (
                  <option key={name} value={name} />
                ))}
              </datalist>
              <Button size="small" onClick={add} disabled={!draft.trim()}>
                Add model
              </Button>
            </div>
          )}
          {!disabled && offered.length > 0 ? (
            <div className="models-suggestions">
              <span className="field-hint">Known models:</span>
              {offered.slice(0, 12).map((name) => (
                <button
                  key={name}
                  type="button"
                  className="chip chip-suggestion"
                  aria-label={`Allow ${name}`}
                  onClick={() => onChange(false, [...models, name])}
                >
                  + {name}
                </button>
              ))}
            </div>
          ) : null}
        </>
      )}
      {error ? (
        <div id={`${id}-error`} className="field-error" role="alert">
          {error}
        </div>
      ) : null}
    </fieldset>
  );
}
