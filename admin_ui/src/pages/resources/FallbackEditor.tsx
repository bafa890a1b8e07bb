// The fallback chain: the models tried in order after the routed or primary model fails
// (5xx, 429, timeout, capacity). Rows move with buttons (named for screen readers) or by
// dragging their handle.

import { useState } from "react";
import { Button, CheckboxField } from "../../components";
import { ModelFields } from "./ModelFields";
import { emptyModel, type ModelCatalog, type ModelDraft } from "./models";
import { newKey } from "./routing";

export const MAX_FALLBACK_MODELS = 10;

export interface FallbackRow {
  key: string;
  model: ModelDraft;
}

export const fallbackRow = (model: ModelDraft = emptyModel()): FallbackRow => ({ key: newKey(), model });

export function fallbackParams(rows: FallbackRow[]): string[] {
  const names = ["useFallback", "fallbackModels"];
  rows.forEach((_, index) => {
    const name = `fallbackModels[${index}]`;
    names.push(name, `${name}.provider`, `${name}.model`, `${name}.connection`);
  });
  return names;
}

function moved<T>(items: T[], from: number, to: number): T[] {
  if (from === to || to < 0 || to >= items.length) return items;
  const next = [...items];
  const [item] = next.splice(from, 1);
  if (item !== undefined) next.splice(to, 0, item);
  return next;
}

export function FallbackEditor({
  useFallback,
  onUseFallback,
  rows,
  onChange,
  catalog,
  errorAt,
}: {
  useFallback: boolean;
  onUseFallback: (value: boolean) => void;
  rows: FallbackRow[];
  onChange: (rows: FallbackRow[]) => void;
  catalog: ModelCatalog;
  errorAt: (name: string) => string | null;
}) {
  const [dragged, setDragged] = useState<number | null>(null);
  const listError = errorAt("fallbackModels");
  return (
    <div className="fallback-editor">
      <CheckboxField
        label="Use the fallback chain"
        hint="When the model a request goes to fails (5xx, 429, timeout, no capacity), try these in order."
        checked={useFallback}
        onChange={(event) => onUseFallback(event.target.checked)}
        error={errorAt("useFallback")}
      />
      {listError ? (
        <div className="field-error" role="alert">
          {listError}
        </div>
      ) : null}
      {rows.length === 0 ? (
        <p className="muted">No fallback models.</p>
      ) : (
        <ol className="fallback-list" aria-label="Fallback models">
          {rows.map((row, index) => (
            <li
              key={row.key}
              className={`fallback-row${dragged === index ? " dragging" : ""}`}
              aria-label={`Fallback ${index + 1}`}
              onDragOver={(event) => {
                if (dragged !== null) event.preventDefault();
              }}
              onDrop={(event) => {
                event.preventDefault();
                if (dragged !== null) onChange(moved(rows, dragged, index));
                setDragged(null);
              }}
            >
              <span
                className="drag-handle"
                draggable
                title="Drag to reorder"
                aria-hidden="true"
                onDragStart={(event) => {
                  event.dataTransfer.effectAllowed = "move";
                  event.dataTransfer.setData("text/plain", String(index));
                  setDragged(index);
                }}
                onDragEnd={() => setDragged(null)}
              >
                ⋮⋮
              </span>
              <span className="fallback-position">{index + 1}</span>
              <div className="fallback-fields">
                <ModelFields
                  label={`Fallback ${index + 1}`}
                  name={`fallbackModels[${index}]`}
                  value={row.model}
                  onChange={(model) => onChange(rows.map((r, i) => (i === index ? { ...r, model } : r)))}
                  catalog={catalog}
                  errorAt={errorAt}
                />
              </div>
              <div className="order-actions">
                <Button
                  size="small"
                  variant="ghost"
                  aria-label={`Move fallback ${index + 1} up`}
                  disabled={index === 0}
                  onClick={() => onChange(moved(rows, index, index - 1))}
                >
                  ↑
                </Button>
                <Button
                  size="small"
                  variant="ghost"
                  aria-label={`Move fallback ${index + 1} down`}
                  disabled={index === rows.length - 1}
                  onClick={() => onChange(moved(rows, index, index + 1))}
                >
                  ↓
                </Button>
                <Button
                  size="small"
                  variant="ghost"
                  aria-label={`Remove fallback ${index + 1}`}
                  onClick={() => onChange(rows.filter((_, i) => i !== index))}
                >
                  Remove
                </Button>
              </div>
            </li>
          ))}
        </ol>
      )}
      <div>
        <Button
          disabled={rows.length >= MAX_FALLBACK_MODELS}
          onClick={() => onChange([...rows, fallbackRow()])}
        >
          Add fallback model
        </Button>
        {rows.length >= MAX_FALLBACK_MODELS ? (
          <span className="field-hint"> At most {MAX_FALLBACK_MODELS} fallback models.</span>
        ) : null}
      </div>
    </div>
  );
}
