// The policy editor: a role's statements {effect, actions, resources}, edited as a form
// (add and remove statements, actions and resources; action suggestions) or as JSON. The
// API validates; its error shows beside the statement, field or pattern its `param` names.

import { useId } from "react";
import { ApiError } from "../../api/client";
import type { Effect, PolicyStatement } from "../../api/types";
import { Button, fieldError, Tabs } from "../../components";
import { blankStatement, EFFECTS, errorPlace, parsePolicyJson, policyJson } from "./policy";

export type PolicyView = "structured" | "json";

export interface PolicyDraft {
  view: PolicyView;
  statements: PolicyStatement[];
  /** The JSON view's text (what is sent while that view is shown). */
  json: string;
  /** Why the JSON cannot be shown as a form (switching views is refused until fixed). */
  jsonProblem: string | null;
}

export const draftOf = (statements: PolicyStatement[]): PolicyDraft => ({
  view: "structured",
  statements,
  json: policyJson(statements),
  jsonProblem: null,
});

/** What the draft sends as `statements`, or a problem to show instead of sending. */
export function draftStatements(draft: PolicyDraft): { statements: unknown } | { problem: string } {
  if (draft.view === "structured") return { statements: draft.statements };
  try {
    // Sent as written: whatever is wrong in it, the API names (statements[1].effect: ...).
    return { statements: JSON.parse(draft.json) as unknown };
  } catch (error) {
    return { problem: `not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
}

const TABS = [
  { id: "structured", label: "Statements" },
  { id: "json", label: "JSON" },
];

export function PolicyEditor({
  draft,
  onChange,
  error,
  suggestions,
}: {
  draft: PolicyDraft;
  onChange: (draft: PolicyDraft) => void;
  /** The form's error: shown here when its param is `statements` or inside it. */
  error: unknown;
  /** Action names to suggest (the API lists no vocabulary; these come from existing roles). */
  suggestions: string[];
}) {
  const datalistId = useId();
  const param = error instanceof ApiError && error.param && fieldError(error, "statements") !== null ? error.param : null;
  const message = param ? fieldError(error, "statements") : null;

  const select = (view: string) => {
    if (view === draft.view) return;
    if (view === "json") {
      onChange({ ...draft, view: "json", json: policyJson(draft.statements), jsonProblem: null });
      return;
    }
    const parsed = parsePolicyJson(draft.json);
    if ("problem" in parsed) onChange({ ...draft, jsonProblem: parsed.problem });
    else onChange({ ...draft, view: "structured", statements: parsed.statements, jsonProblem: null });
  };

  return (
    <div className="policy-editor">
      <div className="policy-editor-head">
        <span className="field-label">Policy</span>
        <span className="field-hint">
          Default deny: a request is allowed when an ALLOW statement matches and no DENY does. Actions are{" "}
          <code>kind:verb</code> (<code>ai-connection:create</code>, <code>*:get</code>); resources are names like{" "}
          <code>workspace:acme:environment:prod</code>, <code>user:alice@example.com</code> or <code>role:auditor</code>;{" "}
          <code>*</code> and <code>?</code> are wildcards.
        </span>
      </div>
      <Tabs tabs={TABS} selected={draft.view} onSelect={select} label="Policy view">
        {draft.view === "structured" ? (
          <StructuredPolicy
            statements={draft.statements}
            onChange={(statements) => onChange({ ...draft, statements })}
            place={param ? errorPlace(param, draft.statements) : null}
            message={message}
            datalistId={datalistId}
          />
        ) : (
          <JsonPolicy
            text={draft.json}
            onChange={(json) => onChange({ ...draft, json, jsonProblem: null })}
            // In JSON the place is the path: keep it in the message.
            message={draft.jsonProblem ?? (param && message !== null ? `${param}: ${message}` : null)}
          />
        )}
      </Tabs>
      <datalist id={datalistId}>
        {suggestions.map((action) => (
          <option key={action} value={action} />
        ))}
      </datalist>
    </div>
  );
}

function FieldMessage({ id, message }: { id: string; message: string | null }) {
  return message ? (
    <div id={id} className="field-error" role="alert">
      {message}
    </div>
  ) : null;
}

function StructuredPolicy({
  statements,
  onChange,
  place,
  message,
  datalistId,
}: {
  statements: PolicyStatement[];
  onChange: (statements: PolicyStatement[]) => void;
  place: string | null;
  message: string | null;
  datalistId: string;
}) {
  const topId = useId();
  const update = (index: number, statement: PolicyStatement) =>
    onChange(statements.map((current, position) => (position === index ? statement : current)));
  return (
    <div className="statements">
      <FieldMessage id={topId} message={place === "top" ? message : null} />
      {statements.length === 0 ? (
        <p className="muted">No statements: this role allows nothing.</p>
      ) : null}
      {statements.map((statement, index) => (
        <StatementEditor
          key={index}
          index={index}
          statement={statement}
          onChange={(next) => update(index, next)}
          onRemove={() => onChange(statements.filter((_, position) => position !== index))}
          place={place}
          message={message}
          datalistId={datalistId}
        />
      ))}
      <div>
        <Button onClick={() => onChange([...statements, blankStatement()])}>Add statement</Button>
      </div>
    </div>
  );
}

function StatementEditor({
  index,
  statement,
  onChange,
  onRemove,
  place,
  message,
  datalistId,
}: {
  index: number;
  statement: PolicyStatement;
  onChange: (statement: PolicyStatement) => void;
  onRemove: () => void;
  place: string | null;
  message: string | null;
  datalistId: string;
}) {
  const id = useId();
  const number = index + 1;
  const at = (key: string) => (place === key ? message : null);
  const statementError = at(`statement:${index}`);
  const effectError = at(`effect:${index}`);
  return (
    <fieldset
      className={`statement statement-${statement.effect.toLowerCase()}${statementError ? " field-invalid" : ""}`}
      aria-describedby={statementError ? `${id}-error` : undefined}
    >
      <legend>Statement {number}</legend>
      <div className="statement-head">
        <div className={`field statement-effect${effectError ? " field-invalid" : ""}`}>
          <label className="field-label" htmlFor={`${id}-effect`}>
            Effect
          </label>
          <select
            id={`${id}-effect`}
            className="input"
            value={statement.effect}
            aria-invalid={effectError ? true : undefined}
            aria-describedby={effectError ? `${id}-effect-error` : undefined}
            onChange={(event) => onChange({ ...statement, effect: event.target.value as Effect })}
          >
            {EFFECTS.map((effect) => (
              <option key={effect} value={effect}>
                {effect}
              </option>
            ))}
          </select>
          <FieldMessage id={`${id}-effect-error`} message={effectError} />
        </div>
        <Button variant="ghost" size="small" aria-label={`Remove statement ${number}`} onClick={onRemove}>
          Remove statement
        </Button>
      </div>
      <FieldMessage id={`${id}-error`} message={statementError} />
      <PatternList
        kind="action"
        title="Actions"
        values={statement.actions}
        onChange={(actions) => onChange({ ...statement, actions })}
        listError={at(`actions:${index}`)}
        itemError={(position) => at(`action:${index}:${position}`)}
        placeholder="e.g. ai-resource:get"
        datalistId={datalistId}
      />
      <PatternList
        kind="resource"
        title="Resources"
        values={statement.resources}
        onChange={(resources) => onChange({ ...statement, resources })}
        listError={at(`resources:${index}`)}
        itemError={(position) => at(`resource:${index}:${position}`)}
        placeholder="e.g. workspace:acme:*"
      />
    </fieldset>
  );
}

function PatternList({
  kind,
  title,
  values,
  onChange,
  listError,
  itemError,
  placeholder,
  datalistId,
}: {
  kind: "action" | "resource";
  title: string;
  values: string[];
  onChange: (values: string[]) => void;
  listError: string | null;
  itemError: (position: number) => string | null;
  placeholder: string;
  datalistId?: string;
}) {
  const id = useId();
  const Kind = kind === "action" ? "Action" : "Resource";
  return (
    <div
      className={`pattern-list${listError ? " field-invalid" : ""}`}
      role="group"
      aria-labelledby={`${id}-title`}
      aria-describedby={listError ? `${id}-error` : undefined}
    >
      <div id={`${id}-title`} className="field-label">
        {title}
      </div>
      {values.map((value, position) => {
        const error = itemError(position);
        const inputId = `${id}-${position}`;
        return (
          <div key={position} className={`pattern-row${error ? " field-invalid" : ""}`}>
            <div className="pattern-input">
              <input
                id={inputId}
                className="input input-compact mono-text"
                value={value}
                placeholder={placeholder}
                list={datalistId}
                aria-label={`${Kind} ${position + 1}`}
                aria-invalid={error ? true : undefined}
                aria-describedby={error ? `${inputId}-error` : undefined}
                onChange={(event) =>
                  onChange(values.map((current, index) => (index === position ? event.target.value : current)))
                }
              />
              <FieldMessage id={`${inputId}-error`} message={error} />
            </div>
            <Button
              variant="ghost"
              size="small"
              aria-label={`Remove ${kind} ${position + 1}`}
              onClick={() => onChange(values.filter((_, index) => index !== position))}
            >
              ✕
            </Button>
          </div>
        );
      })}
      <FieldMessage id={`${id}-error`} message={listError} />
      <div>
        <Button size="small" variant="ghost" onClick={() => onChange([...values, ""])}>
          + Add {kind}
        </Button>
      </div>
    </div>
  );
}

function JsonPolicy({
  text,
  onChange,
  message,
}: {
  text: string;
  onChange: (text: string) => void;
  message: string | null;
}) {
  const id = useId();
  return (
    <div className={`field${message ? " field-invalid" : ""}`}>
      <label htmlFor={id} className="field-label">
        Statements (JSON)
      </label>
      <textarea
        id={id}
        className="input textarea policy-json"
        value={text}
        spellCheck={false}
        rows={Math.min(24, Math.max(8, text.split("\n").length + 1))}
        aria-invalid={message ? true : undefined}
        aria-describedby={message ? `${id}-error` : undefined}
        onChange={(event) => onChange(event.target.value)}
      />
      <FieldMessage id={`${id}-error`} message={message} />
    </div>
  );
}
