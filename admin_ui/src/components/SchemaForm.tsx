// A form drawn from a provider's JSON Schema (GET /api/v1/providers: `settingsSchema`,
// `credentialsSchema`, as msgspec writes them: a `$ref` into `$defs`, optional fields as
// `anyOf: [X, {type: null}]`). Strings, numbers, integers, booleans, enums and lists of
// strings get a control each; a title or the field's name is the label, the description the
// hint, the default the placeholder. An empty box is left out of `value`, so the server's
// default applies.
//
// `secret` (credentials): password boxes, never prefilled. Credentials are write-only and a
// PATCH that sends `credentials` replaces them all, so on edit pass the connection's
// `credentialFields` as `setFields`: those boxes say they are set, and the page sends no
// credentials at all while every box is empty.

import { useState } from "react";
import { ApiError } from "../api/client";
import type { JsonSchema } from "../api/types";
import { paramConcerns } from "./Form";
import { CheckboxField, SelectField, TextField } from "./fields";

type Kind = "string" | "number" | "integer" | "boolean" | "enum" | "list" | "json";

/** One field of a schema, as the form draws it. */
export interface SchemaField {
  name: string;
  label: string;
  description?: string;
  kind: Kind;
  required: boolean;
  nullable: boolean;
  options: string[];
  defaultValue: unknown;
  pattern?: string;
}

const ACRONYMS: Record<string, string> = {
  api: "API",
  arn: "ARN",
  aws: "AWS",
  id: "ID",
  sts: "STS",
  url: "URL",
  uri: "URI",
  http: "HTTP",
};

/** "stsEndpointUrl" -> "STS endpoint URL". */
export function humanize(name: string): string {
  const words = name
    .replace(/[_-]+/g, " ")
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(" ")
    .filter(Boolean)
    .map((word) => ACRONYMS[word] ?? word);
  const [first = "", ...rest] = words;
  return [first === first.toLowerCase() ? first.charAt(0).toUpperCase() + first.slice(1) : first, ...rest].join(" ");
}

const asRecord = (value: unknown): Record<string, unknown> =>
  value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

/** Follow `$ref: "#/$defs/X"` within `root`. */
function resolve(node: Record<string, unknown>, root: JsonSchema): Record<string, unknown> {
  let current = node;
  for (let depth = 0; depth < 10 && typeof current.$ref === "string"; depth++) {
    const path = current.$ref.replace(/^#\//, "").split("/");
    let target: unknown = root;
    for (const part of path) target = asRecord(target)[part];
    const { $ref: _ref, ...rest } = current;
    current = { ...asRecord(target), ...rest };
  }
  return current;
}

function kindOf(node: Record<string, unknown>): { kind: Kind; options: string[] } {
  if (Array.isArray(node.enum)) return { kind: "enum", options: node.enum.map(String) };
  switch (node.type) {
    case "string":
      return { kind: "string", options: [] };
    case "integer":
      return { kind: "integer", options: [] };
    case "number":
      return { kind: "number", options: [] };
    case "boolean":
      return { kind: "boolean", options: [] };
    case "array":
      return asRecord(node.items).type === "string" ? { kind: "list", options: [] } : { kind: "json", options: [] };
    default:
      return { kind: "json", options: [] };
  }
}

/** The fields of an object schema, in the schema's order. */
export function schemaFields(schema: JsonSchema): SchemaField[] {
  const object = resolve(schema, schema);
  const required = new Set(Array.isArray(object.required) ? object.required.map(String) : []);
  return Object.entries(asRecord(object.properties)).map(([name, raw]) => {
    let node = resolve(asRecord(raw), schema);
    let nullable = false;
    const variants = Array.isArray(node.anyOf) ? node.anyOf.map((v) => resolve(asRecord(v), schema)) : null;
    if (variants) {
      const others = variants.filter((v) => v.type !== "null");
      nullable = others.length < variants.length;
      // `anyOf: [X, null]` is an optional X; the outer node keeps default and description.
      if (others.length === 1 && others[0]) node = { ...others[0], ...omit(node, "anyOf") };
    }
    const { kind, options } = variants && variants.filter((v) => v.type !== "null").length > 1 ? { kind: "json" as Kind, options: [] } : kindOf(node);
    return {
      name,
      label: typeof node.title === "string" ? node.title : humanize(name),
      description: typeof node.description === "string" ? node.description : undefined,
      kind,
      required: required.has(name),
      nullable,
      options,
      defaultValue: node.default,
      pattern: typeof node.pattern === "string" ? node.pattern : undefined,
    };
  });
}

function omit(node: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _dropped, ...rest } = node;
  return rest;
}

/** What a box shows for a value. */
function display(field: SchemaField, value: unknown): string {
  if (value === undefined || value === null) return "";
  if (field.kind === "list" && Array.isArray(value)) return value.join(", ");
  if (field.kind === "json") return JSON.stringify(value);
  return String(value);
}

/** What a box's text means; undefined leaves the field out (the server's default). */
function parse(field: SchemaField, text: string): unknown {
  if (text.trim() === "") return undefined;
  switch (field.kind) {
    case "number":
    case "integer": {
      const number = Number(text);
      // Not a number: sent as typed, so the server's message says what is wrong beside it.
      return Number.isFinite(number) ? number : text;
    }
    case "list":
      return text
        .split(",")
        .map((part) => part.trim())
        .filter(Boolean);
    case "json":
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return text;
      }
    default:
      return text;
  }
}

function placeholderOf(field: SchemaField): string | undefined {
  if (field.defaultValue === undefined || field.defaultValue === null) return undefined;
  if (Array.isArray(field.defaultValue) && field.defaultValue.length === 0) return undefined;
  return display(field, field.defaultValue);
}

/** The API's errors about a schema-drawn object (`settings`, `credentials`), by field:
 * `settings.baseUrl` goes to field baseUrl, "missing required field `region`" to region,
 * the rest (the object as a whole) to `whole`. `errorFor` is useForm's (it claims). */
export function schemaErrors(
  errorFor: (name: string) => string | null,
  error: unknown,
  prefix: string,
  schema: JsonSchema,
): { fields: Record<string, string | undefined>; whole: string | undefined } {
  const fields: Record<string, string | undefined> = {};
  let matched = false;
  for (const field of schemaFields(schema)) {
    const message = errorFor(`${prefix}.${field.name}`);
    if (message) {
      fields[field.name] = message;
      matched = true;
    }
  }
  const whole = errorFor(prefix) ?? undefined;
  if (matched || !whole) return { fields, whole: undefined };
  if (error instanceof ApiError && error.param && paramConcerns(error.param, prefix)) {
    const missing = /missing required field `([^`]+)`/.exec(error.message)?.[1];
    if (missing && schemaFields(schema).some((field) => field.name === missing)) {
      return { fields: { [missing]: "Required." }, whole: undefined };
    }
  }
  return { fields, whole };
}

export function SchemaForm({
  schema,
  value,
  onChange,
  errors = {},
  idPrefix,
  secret = false,
  disabled = false,
  setFields = [],
  error,
}: {
  schema: JsonSchema;
  value: Record<string, unknown>;
  onChange: (value: Record<string, unknown>) => void;
  errors?: Record<string, string | undefined>;
  idPrefix: string;
  /** Credentials: password boxes, never prefilled. */
  secret?: boolean;
  disabled?: boolean;
  /** Secret fields already set on the server (a connection's `credentialFields`). */
  setFields?: string[];
  /** An error about the object as a whole (e.g. "give an access key or a roleArn"). */
  error?: string;
}) {
  // The text of boxes whose value is parsed (numbers, lists), so "1." or "a, " stay as typed.
  const [drafts, setDrafts] = useState<Record<string, string>>({});
  const fields = schemaFields(schema);

  const set = (name: string, next: unknown) => {
    const copy = { ...value };
    if (next === undefined) delete copy[name];
    else copy[name] = next;
    onChange(copy);
  };

  if (fields.length === 0) {
    return <p className="schema-form-empty">Nothing to set.</p>;
  }

  return (
    <div className="schema-form">
      {error ? (
        <div className="field-error schema-form-error" role="alert">
          {error}
        </div>
      ) : null}
      {fields.map((field) => {
        const id = `${idPrefix}-${field.name}`;
        const isSet = secret && setFields.includes(field.name);
        const required = field.required && !isSet;
        const label = (
          <>
            {field.label}
            {required ? (
              <span className="field-required" aria-hidden="true" title="required">
                {" "}*
              </span>
            ) : null}
          </>
        );
        const fieldError = errors[field.name];
        const hintParts = [
          field.description,
          isSet ? "Set. Leave empty to keep it." : "",
          field.kind === "list" ? "Separate several with commas." : "",
        ].filter(Boolean);
        const hint = hintParts.length ? hintParts.join(" ") : undefined;

        if (field.kind === "boolean") {
          const checked = value[field.name] === undefined ? Boolean(field.defaultValue) : Boolean(value[field.name]);
          return (
            <CheckboxField
              key={field.name}
              id={id}
              label={label}
              hint={hint}
              error={fieldError}
              checked={checked}
              disabled={disabled}
              onChange={(event) => set(field.name, event.target.checked)}
            />
          );
        }
        if (field.kind === "enum") {
          return (
            <SelectField
              key={field.name}
              id={id}
              label={label}
              hint={hint}
              error={fieldError}
              aria-required={required || undefined}
              options={field.options.map((option) => ({ value: option, label: option }))}
              placeholder={
                field.required ? "Choose…" : `Default${placeholderOf(field) ? ` (${placeholderOf(field)})` : ""}`
              }
              value={display(field, value[field.name])}
              disabled={disabled}
              onChange={(event) => set(field.name, event.target.value === "" ? undefined : event.target.value)}
            />
          );
        }
        const shown = secret ? display(field, value[field.name]) : (drafts[field.name] ?? display(field, value[field.name]));
        const numeric = field.kind === "number" || field.kind === "integer";
        return (
          <TextField
            key={field.name}
            id={id}
            label={label}
            hint={hint}
            error={fieldError}
            type={secret ? "password" : "text"}
            inputMode={numeric ? (field.kind === "integer" ? "numeric" : "decimal") : undefined}
            autoComplete={secret ? "new-password" : "off"}
            spellCheck={false}
            aria-required={required || undefined}
            placeholder={isSet ? "••••••••" : placeholderOf(field)}
            value={shown}
            disabled={disabled}
            onChange={(event) => {
              const text = event.target.value;
              if (!secret) setDrafts((current) => ({ ...current, [field.name]: text }));
              set(field.name, parse(field, text));
            }}
            onBlur={() =>
              setDrafts((current) => {
                const { [field.name]: _done, ...rest } = current;
                return rest;
              })
            }
          />
        );
      })}
    </div>
  );
}
