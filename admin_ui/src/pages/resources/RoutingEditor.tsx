// The routing rules of a resource: on/off, the mode (builder or expressions), and ordered
// rules, each with a description, its conditions, what it does, and its traffic share.

import { Button, CheckboxField, SelectField, TextArea, TextField } from "../../components";
import { ModelFields } from "./ModelFields";
import type { ModelCatalog } from "./models";
import {
  clauseParam,
  emptyClause,
  emptyRule,
  ERROR_RATE,
  ERROR_STATUSES,
  FIELD_CHOICES,
  fieldChoice,
  HEADERS,
  METADATA,
  operatorsFor,
  OTHER_FIELD,
  ruleExpression,
  ruleParam,
  type ClauseDraft,
  type Group,
  type RoutingDraft,
  type RuleDraft,
} from "./routing";

type ErrorAt = (name: string) => string | null;

function move<T>(items: T[], from: number, to: number): T[] {
  if (to < 0 || to >= items.length) return items;
  const next = [...items];
  const [item] = next.splice(from, 1);
  if (item !== undefined) next.splice(to, 0, item);
  return next;
}

export function RoutingEditor({
  value,
  onChange,
  catalog,
  errorAt,
}: {
  value: RoutingDraft;
  onChange: (value: RoutingDraft) => void;
  catalog: ModelCatalog;
  errorAt: ErrorAt;
}) {
  const setRules = (rules: RuleDraft[]) => onChange({ ...value, rules });
  const setRule = (index: number, rule: RuleDraft) =>
    setRules(value.rules.map((current, i) => (i === index ? rule : current)));
  const setMode = (mode: RoutingDraft["mode"]) => {
    // Going to expressions, start each empty one from the rule's builder conditions.
    const rules =
      mode === "advanced"
        ? value.rules.map((rule) => (rule.expression.trim() ? rule : { ...rule, expression: ruleExpression(rule) }))
        : value.rules;
    onChange({ ...value, mode, rules });
  };
  const general = errorAt("routing") ?? errorAt("routing.conditions");
  return (
    <div className="routing-editor">
      {general ? (
        <div className="field-error" role="alert">
          {general}
        </div>
      ) : null}
      <CheckboxField
        label="Route requests by these rules"
        hint="Off: every request goes to the primary model (the rules are kept)."
        checked={value.enabled}
        onChange={(event) => onChange({ ...value, enabled: event.target.checked })}
        error={errorAt("routing.enabled")}
      />
      <fieldset className="radio-group">
        <legend className="field-label">Write conditions with</legend>
        <label className="checkbox-label">
          <input
            type="radio"
            name="routing-mode"
            checked={value.mode === "simple"}
            onChange={() => setMode("simple")}
          />
          the condition builder
        </label>
        <label className="checkbox-label">
          <input
            type="radio"
            name="routing-mode"
            checked={value.mode === "advanced"}
            onChange={() => setMode("advanced")}
          />
          expressions (advanced)
        </label>
        <div className="field-hint">
          The mode holds for all rules. Each rule keeps both forms while you edit; the selected one is saved.
        </div>
        {errorAt("routing.mode") ? (
          <div className="field-error" role="alert">
            {errorAt("routing.mode")}
          </div>
        ) : null}
      </fieldset>
      {value.rules.length === 0 ? (
        <p className="muted">No rules: every request goes to the primary model.</p>
      ) : (
        <ol className="rule-list">
          {value.rules.map((rule, index) => (
            <RuleCard
              key={rule.key}
              rule={rule}
              index={index}
              count={value.rules.length}
              mode={value.mode}
              catalog={catalog}
              errorAt={errorAt}
              onChange={(next) => setRule(index, next)}
              onMove={(to) => setRules(move(value.rules, index, to))}
              onRemove={() => setRules(value.rules.filter((_, i) => i !== index))}
            />
          ))}
        </ol>
      )}
      <div>
        <Button
          onClick={() =>
            // The first rule of a resource without routing turns routing on: that is why it is added.
            onChange({ ...value, enabled: value.rules.length === 0 ? true : value.enabled, rules: [...value.rules, emptyRule()] })
          }
        >
          Add rule
        </Button>
      </div>
    </div>
  );
}

function RuleCard({
  rule,
  index,
  count,
  mode,
  catalog,
  errorAt,
  onChange,
  onMove,
  onRemove,
}: {
  rule: RuleDraft;
  index: number;
  count: number;
  mode: RoutingDraft["mode"];
  catalog: ModelCatalog;
  errorAt: ErrorAt;
  onChange: (rule: RuleDraft) => void;
  onMove: (to: number) => void;
  onRemove: () => void;
}) {
  const name = `Rule ${index + 1}`;
  const base = ruleParam(index);
  const setGroup = (group: Group, clauses: ClauseDraft[]) => onChange({ ...rule, [group]: clauses });
  const whole = errorAt(base);
  return (
    <li className="rule-card" aria-label={name}>
      <div className="rule-head">
        <h4>{name}</h4>
        <div className="order-actions">
          <Button size="small" variant="ghost" aria-label={`Move rule ${index + 1} up`} disabled={index === 0} onClick={() => onMove(index - 1)}>
            ↑
          </Button>
          <Button
            size="small"
            variant="ghost"
            aria-label={`Move rule ${index + 1} down`}
            disabled={index === count - 1}
            onClick={() => onMove(index + 1)}
          >
            ↓
          </Button>
          <Button size="small" variant="ghost" aria-label={`Remove rule ${index + 1}`} onClick={onRemove}>
            Remove
          </Button>
        </div>
      </div>
      {whole ? (
        <div className="field-error" role="alert">
          {whole}
        </div>
      ) : null}
      <TextField
        label="Description"
        aria-label={`${name} description`}
        value={rule.description}
        placeholder="Small requests go to Groq"
        onChange={(event) => onChange({ ...rule, description: event.target.value })}
        error={errorAt(`${base}.description`)}
      />
      {mode === "simple" ? (
        <>
          <ClauseGroup
            title="When all of these hold"
            ruleIndex={index}
            group="if"
            clauses={rule.if}
            onChange={(clauses) => setGroup("if", clauses)}
            errorAt={errorAt}
            addLabel="Add condition"
          />
          {rule.any.length > 0 ? (
            <ClauseGroup
              title="and at least one of these"
              ruleIndex={index}
              group="any"
              clauses={rule.any}
              onChange={(clauses) => setGroup("any", clauses)}
              errorAt={errorAt}
              addLabel="Add alternative"
            />
          ) : (
            <div>
              <Button size="small" variant="ghost" onClick={() => setGroup("any", [emptyClause()])}>
                Add an “at least one of” group
              </Button>
            </div>
          )}
          {rule.if.length === 0 && rule.any.length === 0 ? (
            <p className="field-hint">No conditions: this rule matches every request (with a traffic share: a canary).</p>
          ) : null}
        </>
      ) : (
        <div className="expression-field">
          <TextArea
            label="Expression"
            aria-label={`${name} expression`}
            value={rule.expression}
            rows={3}
            spellCheck={false}
            placeholder="requestTokens < 100 && !hasTools"
            hint={
              <>
                Variables such as <code>requestTokens</code>, <code>lastMessage</code>, <code>metadata.team</code>,{" "}
                <code>headers['x-tier']</code>; <code>&amp;&amp;</code> <code>||</code> <code>!</code>, comparisons,{" "}
                <code>in</code>; functions <code>errorRate(10, '5xx')</code>, <code>contains</code>, <code>matches</code>,{" "}
                <code>len</code>, <code>lower</code>.
              </>
            }
            onChange={(event) => onChange({ ...rule, expression: event.target.value })}
            error={errorAt(`${base}.expression`)}
          />
          <div>
            <Button size="small" variant="ghost" onClick={() => onChange({ ...rule, expression: ruleExpression(rule) })}>
              Write from the builder’s conditions
            </Button>
          </div>
        </div>
      )}
      <div className="rule-then">
        <SelectField
          label="Then"
          aria-label={`${name} action`}
          value={rule.action}
          options={[
            { value: "route", label: "send it to a model" },
            { value: "block", label: "block the request" },
          ]}
          onChange={(event) => onChange({ ...rule, action: event.target.value === "block" ? "block" : "route" })}
          error={errorAt(`${base}.then.action`)}
        />
        <TextField
          label="Traffic share (%)"
          aria-label={`${name} traffic share`}
          type="number"
          min={0}
          max={100}
          step="any"
          value={rule.traffic}
          placeholder="100"
          hint="The share of matching requests this rule takes; the rest go on to the next rules."
          onChange={(event) => onChange({ ...rule, traffic: event.target.value })}
          error={errorAt(`${base}.then.traffic`)}
        />
      </div>
      {rule.action === "route" ? (
        <ModelFields
          label={`${name} target`}
          name={`${base}.then`}
          value={rule.target}
          onChange={(target) => onChange({ ...rule, target })}
          catalog={catalog}
          errorAt={errorAt}
        />
      ) : (
        <>
          <TextField
            label="Block message"
            aria-label={`${name} block message`}
            value={rule.blockMessage}
            placeholder="This request was blocked by a routing rule of the resource."
            onChange={(event) => onChange({ ...rule, blockMessage: event.target.value })}
            error={errorAt(`${base}.then.message`)}
          />
          {errorAt(`${base}.then`) ? (
            <div className="field-error" role="alert">
              {errorAt(`${base}.then`)}
            </div>
          ) : null}
        </>
      )}
    </li>
  );
}

function ClauseGroup({
  title,
  ruleIndex,
  group,
  clauses,
  onChange,
  errorAt,
  addLabel,
}: {
  title: string;
  ruleIndex: number;
  group: Group;
  clauses: ClauseDraft[];
  onChange: (clauses: ClauseDraft[]) => void;
  errorAt: ErrorAt;
  addLabel: string;
}) {
  const rule = `Rule ${ruleIndex + 1}`;
  const noun = group === "if" ? "condition" : "alternative";
  const groupError = errorAt(`${ruleParam(ruleIndex)}.${group}`);
  return (
    <fieldset className="clause-group">
      <legend className="field-label">{title}</legend>
      {groupError ? (
        <div className="field-error" role="alert">
          {groupError}
        </div>
      ) : null}
      {clauses.map((clause, position) => (
        <ClauseRow
          key={clause.key}
          clause={clause}
          name={`${rule} ${noun} ${position + 1}`}
          param={clauseParam(ruleIndex, group, position)}
          errorAt={errorAt}
          onChange={(next) => onChange(clauses.map((c, i) => (i === position ? next : c)))}
          onRemove={() => onChange(clauses.filter((_, i) => i !== position))}
        />
      ))}
      <div>
        <Button size="small" aria-label={`${addLabel} to ${rule.toLowerCase()}`} onClick={() => onChange([...clauses, emptyClause()])}>
          {addLabel}
        </Button>
      </div>
    </fieldset>
  );
}

function ClauseRow({
  clause,
  name,
  param,
  errorAt,
  onChange,
  onRemove,
}: {
  clause: ClauseDraft;
  name: string;
  param: string;
  errorAt: ErrorAt;
  onChange: (clause: ClauseDraft) => void;
  onRemove: () => void;
}) {
  const kind = fieldChoice(clause.field).kind;
  const operators = operatorsFor(kind);
  const setField = (field: string) => {
    const nextKind = fieldChoice(field).kind;
    const allowed = operatorsFor(nextKind).map((o) => o.value);
    const operator = allowed.includes(clause.operator) ? clause.operator : (allowed[0] ?? "equals");
    const value = nextKind === "boolean" && !["true", "false"].includes(clause.value) ? "true" : clause.value;
    onChange({ ...clause, field, operator, value });
  };
  const setOperator = (operator: string) => {
    const value = operator === "exists" && !["true", "false"].includes(clause.value) ? "true" : clause.value;
    onChange({ ...clause, operator, value });
  };
  const whole = errorAt(param);
  const keyed = clause.field === METADATA || clause.field === HEADERS || clause.field === OTHER_FIELD;
  const keyLabel = clause.field === METADATA ? "Metadata key" : clause.field === HEADERS ? "Header name" : "Variable name";
  const valueError = errorAt(`${param}.value`);
  return (
    <div className="clause-row" role="group" aria-label={name}>
      <SelectField
        label="Field"
        aria-label={`${name} field`}
        value={clause.field}
        options={FIELD_CHOICES.map((choice) => ({ value: choice.value, label: choice.label }))}
        onChange={(event) => setField(event.target.value)}
        error={errorAt(`${param}.field`)}
      />
      {keyed ? (
        <TextField
          label={keyLabel}
          aria-label={`${name} ${keyLabel.toLowerCase()}`}
          value={clause.fieldKey}
          placeholder={clause.field === HEADERS ? "x-tier" : clause.field === METADATA ? "team" : "variable"}
          onChange={(event) => onChange({ ...clause, fieldKey: event.target.value })}
        />
      ) : null}
      {clause.field === ERROR_RATE ? (
        <>
          <TextField
            label="Window (min)"
            aria-label={`${name} window in minutes`}
            type="number"
            min={1}
            max={60}
            value={clause.window}
            onChange={(event) => onChange({ ...clause, window: event.target.value })}
            error={errorAt(`${param}.window`)}
          />
          <SelectField
            label="Status"
            aria-label={`${name} status`}
            value={clause.status}
            options={[...new Set([...ERROR_STATUSES, clause.status])].map((s) => ({ value: s, label: s }))}
            onChange={(event) => onChange({ ...clause, status: event.target.value })}
            error={errorAt(`${param}.status`)}
          />
        </>
      ) : null}
      <SelectField
        label="Operator"
        aria-label={`${name} operator`}
        value={clause.operator}
        options={operators.some((o) => o.value === clause.operator) ? operators : [...operators, { value: clause.operator, label: clause.operator }]}
        onChange={(event) => setOperator(event.target.value)}
        error={errorAt(`${param}.operator`)}
      />
      {clause.operator === "exists" ? (
        <SelectField
          label="Value"
          aria-label={`${name} value`}
          value={clause.value === "false" ? "false" : "true"}
          options={[
            { value: "true", label: "yes" },
            { value: "false", label: "no (absent)" },
          ]}
          onChange={(event) => onChange({ ...clause, value: event.target.value })}
          error={valueError}
        />
      ) : kind === "boolean" && (clause.operator === "equals" || clause.operator === "notEquals") ? (
        <SelectField
          label="Value"
          aria-label={`${name} value`}
          value={clause.value}
          options={[
            { value: "true", label: "true" },
            { value: "false", label: "false" },
          ]}
          onChange={(event) => onChange({ ...clause, value: event.target.value })}
          error={valueError}
        />
      ) : (
        <TextField
          label="Value"
          aria-label={`${name} value`}
          value={clause.value}
          inputMode={kind === "number" ? "decimal" : undefined}
          hint={clause.operator === "in" || clause.operator === "notIn" ? "separate values with commas" : undefined}
          onChange={(event) => onChange({ ...clause, value: event.target.value })}
          error={valueError}
        />
      )}
      <div className="clause-remove">
        <Button size="small" variant="ghost" aria-label={`Remove ${name.toLowerCase()}`} onClick={onRemove}>
          ✕
        </Button>
      </div>
      {whole ? (
        <div className="field-error clause-error" role="alert">
          {whole}
        </div>
      ) : null}
    </div>
  );
}
