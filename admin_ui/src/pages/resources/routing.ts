// Routing rules as the editor holds them, and back to the API's shape.
//
// The API's routing (plugins/routing, switchboard_routing/rules.py) is
//   {enabled, mode: simple | advanced, conditions: [{description, if, any | expression, then}]}
// where `if` tests must all hold, `any` tests need one to hold, and `then` routes to a model
// ({provider, model, connection?, traffic?}) or blocks ({action: block, message?, traffic?}).
// The mode belongs to the whole routing, so the editor keeps both forms of every rule (the
// builder's tests and an expression) and saves the one the selected mode uses. Fields and
// operators mirror switchboard_routing/fields.py and operators.py; the server checks them
// again and its message shows beside the part it names.

import type { Routing, RoutingCondition } from "../../api/types";
import { emptyModel, modelFromApi, modelToApi, type ModelDraft } from "./models";

export type FieldKind = "number" | "boolean" | "text" | "mappedText" | "textList" | "any";

export interface FieldChoice {
  value: string;
  label: string;
  kind: FieldKind;
}

/** Prefix choices take a key after them (`metadata.team`, `headers.x-tier`). */
export const METADATA = "metadata.";
export const HEADERS = "headers.";
export const OTHER_FIELD = "other";
export const ERROR_RATE = "errorRate";

export const FIELD_CHOICES: FieldChoice[] = [
  { value: "requestTokens", label: "Request tokens", kind: "number" },
  { value: "messagesCount", label: "Number of messages", kind: "number" },
  { value: "maxTokens", label: "max_tokens asked", kind: "number" },
  { value: "hasTools", label: "Has tools", kind: "boolean" },
  { value: "toolsCount", label: "Number of tools", kind: "number" },
  { value: "stream", label: "Streamed", kind: "boolean" },
  { value: "lastMessage", label: "Last message", kind: "text" },
  { value: "lastMessageRole", label: "Role of the last message", kind: "text" },
  { value: "systemPrompt", label: "System prompt", kind: "text" },
  { value: "model", label: "Model asked", kind: "text" },
  { value: "apiKeyName", label: "API key name", kind: "text" },
  { value: "apiKeyLabels", label: "API key labels", kind: "textList" },
  { value: ERROR_RATE, label: "Error rate (%)", kind: "number" },
  { value: METADATA, label: "Metadata value…", kind: "mappedText" },
  { value: HEADERS, label: "Request header…", kind: "mappedText" },
  { value: OTHER_FIELD, label: "Plugin variable…", kind: "any" },
];

export interface OperatorChoice {
  value: string;
  label: string;
}

const OPERATOR_LABELS: Record<string, string> = {
  equals: "equals",
  notEquals: "does not equal",
  lessThan: "is less than",
  lessThanOrEqual: "is at most",
  greaterThan: "is greater than",
  greaterThanOrEqual: "is at least",
  contains: "contains",
  notContains: "does not contain",
  startsWith: "starts with",
  endsWith: "ends with",
  matches: "matches the pattern",
  in: "is one of",
  notIn: "is none of",
  exists: "is present",
};

const ORDERING = ["lessThan", "lessThanOrEqual", "greaterThan", "greaterThanOrEqual"];
const TEXTUAL = ["contains", "notContains", "startsWith", "endsWith", "matches"];
const OPERATORS_BY_KIND: Record<FieldKind, string[]> = {
  number: ["equals", "notEquals", ...ORDERING, "in", "notIn", "exists"],
  boolean: ["equals", "notEquals", "exists"],
  text: ["equals", "notEquals", ...TEXTUAL, "in", "notIn", "exists"],
  mappedText: ["equals", "notEquals", ...ORDERING, ...TEXTUAL, "in", "notIn", "exists"],
  textList: ["contains", "notContains", "in", "notIn", "exists"],
  any: ["equals", "notEquals", ...ORDERING, ...TEXTUAL, "in", "notIn", "exists"],
};

export function operatorsFor(kind: FieldKind): OperatorChoice[] {
  return OPERATORS_BY_KIND[kind].map((value) => ({ value, label: OPERATOR_LABELS[value] ?? value }));
}

export const ERROR_STATUSES = ["any", "5xx", "4xx", "429", "500", "502", "503", "504"];

/** One test of the builder, its value as typed. */
export interface ClauseDraft {
  key: string;
  /** A FIELD_CHOICES value. */
  field: string;
  /** The key after metadata./headers., or the variable's name for OTHER_FIELD. */
  fieldKey: string;
  operator: string;
  value: string;
  /** errorRate only. */
  window: string;
  status: string;
  /** errorRate's provider/model/connection, kept as loaded. */
  errorRateScope: Record<string, unknown>;
}

export type Group = "if" | "any";

export interface RuleDraft {
  key: string;
  description: string;
  if: ClauseDraft[];
  any: ClauseDraft[];
  expression: string;
  action: "route" | "block";
  target: ModelDraft;
  blockMessage: string;
  /** Percent of matching requests; empty: all. */
  traffic: string;
}

export interface RoutingDraft {
  enabled: boolean;
  mode: "simple" | "advanced";
  rules: RuleDraft[];
}

let counter = 0;
/** A key React can track a row by while rows move. */
export const newKey = (): string => `k${++counter}`;

export function fieldChoice(field: string): FieldChoice {
  return FIELD_CHOICES.find((choice) => choice.value === field) ?? FIELD_CHOICES[FIELD_CHOICES.length - 1]!;
}

export function emptyClause(): ClauseDraft {
  return {
    key: newKey(),
    field: "requestTokens",
    fieldKey: "",
    operator: "lessThan",
    value: "",
    window: "10",
    status: "any",
    errorRateScope: {},
  };
}

export function emptyRule(): RuleDraft {
  return {
    key: newKey(),
    description: "",
    if: [emptyClause()],
    any: [],
    expression: "",
    action: "route",
    target: emptyModel(),
    blockMessage: "",
    traffic: "",
  };
}

export const emptyRouting = (): RoutingDraft => ({ enabled: false, mode: "simple", rules: [] });

// --- from the API ---------------------------------------------------------------------

function valueText(value: unknown): string {
  if (value === undefined || value === null) return value === null ? "null" : "";
  if (Array.isArray(value)) return value.map((item) => valueText(item)).join(", ");
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

function clauseFromApi(raw: unknown): ClauseDraft {
  const test = (raw && typeof raw === "object" ? raw : {}) as Record<string, unknown>;
  const field = typeof test.field === "string" ? test.field : "";
  const clause = emptyClause();
  if (field.startsWith(METADATA) || field.startsWith(HEADERS)) {
    const prefix = field.startsWith(METADATA) ? METADATA : HEADERS;
    clause.field = prefix;
    clause.fieldKey = field.slice(prefix.length);
  } else if (FIELD_CHOICES.some((choice) => choice.value === field && choice.kind !== "mappedText")) {
    clause.field = field;
  } else {
    clause.field = OTHER_FIELD;
    clause.fieldKey = field;
  }
  clause.operator = typeof test.operator === "string" ? test.operator : "equals";
  if (clause.operator === "exists") clause.value = test.value === false ? "false" : "true";
  else clause.value = valueText(test.value);
  if (test.window !== undefined) clause.window = String(test.window);
  if (test.status !== undefined) clause.status = String(test.status);
  const scope: Record<string, unknown> = {};
  for (const name of ["provider", "model", "connection"]) if (name in test) scope[name] = test[name];
  clause.errorRateScope = scope;
  return clause;
}

export function routingFromApi(routing: Routing | null): RoutingDraft {
  if (!routing) return emptyRouting();
  const advanced = routing.mode === "advanced";
  const rules = (routing.conditions ?? []).map((condition): RuleDraft => {
    const then = (condition.then ?? {}) as unknown as Record<string, unknown>;
    const block = then.action === "block";
    return {
      key: newKey(),
      description: condition.description ?? "",
      if: Array.isArray(condition.if) ? condition.if.map(clauseFromApi) : [],
      any: Array.isArray(condition.any) ? (condition.any as unknown[]).map(clauseFromApi) : [],
      expression: typeof condition.expression === "string" ? condition.expression : "",
      action: block ? "block" : "route",
      target: block ? emptyModel() : modelFromApi(then),
      blockMessage: block && typeof then.message === "string" ? then.message : "",
      traffic: then.traffic === undefined ? "" : String(then.traffic),
    };
  });
  return { enabled: routing.enabled !== false, mode: advanced ? "advanced" : "simple", rules };
}

// --- to the API -----------------------------------------------------------------------

/** The field name a clause tests (`metadata.team`). */
export function clauseField(clause: ClauseDraft): string {
  if (clause.field === METADATA || clause.field === HEADERS) return `${clause.field}${clause.fieldKey.trim()}`;
  if (clause.field === OTHER_FIELD) return clause.fieldKey.trim();
  return clause.field;
}

/** Typed text as a number when it reads as one, else as it is (the server names the problem). */
function numberOr(text: string): number | string {
  const trimmed = text.trim();
  if (trimmed === "") return trimmed;
  const number = Number(trimmed);
  return Number.isFinite(number) ? number : trimmed;
}

/** Free text for a variable of unknown kind: JSON when it parses (3, true, "x"), else text. */
function loose(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function scalar(text: string, kind: FieldKind, operator: string): unknown {
  if (ORDERING.includes(operator)) return numberOr(text);
  if (kind === "number") return operator === "equals" || operator === "notEquals" || operator === "in" || operator === "notIn" ? numberOr(text) : text;
  if (kind === "boolean") return text === "true" ? true : text === "false" ? false : text;
  if (kind === "any") return loose(text.trim());
  return text;
}

export function clauseValue(clause: ClauseDraft): { has: boolean; value?: unknown } {
  const kind = fieldChoice(clause.field).kind;
  if (clause.operator === "exists") return clause.value === "false" ? { has: true, value: false } : { has: false };
  if (clause.operator === "in" || clause.operator === "notIn") {
    const items = clause.value
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== "");
    return { has: true, value: items.map((item) => scalar(item, kind, clause.operator)) };
  }
  return { has: true, value: scalar(clause.value, kind, clause.operator) };
}

function clauseToApi(clause: ClauseDraft): Record<string, unknown> {
  const test: Record<string, unknown> = { field: clauseField(clause), operator: clause.operator };
  const { has, value } = clauseValue(clause);
  if (has) test.value = value;
  if (clause.field === ERROR_RATE) {
    test.window = numberOr(clause.window || "10");
    test.status = /^\d+$/.test(clause.status) ? Number(clause.status) : clause.status;
    Object.assign(test, clause.errorRateScope);
  }
  return test;
}

function ruleToApi(rule: RuleDraft, mode: RoutingDraft["mode"]): RoutingCondition {
  const traffic = rule.traffic.trim() === "" ? undefined : numberOr(rule.traffic);
  const then: Record<string, unknown> =
    rule.action === "block"
      ? { action: "block", ...(rule.blockMessage.trim() ? { message: rule.blockMessage } : {}) }
      : { ...modelToApi(rule.target) };
  if (traffic !== undefined) then.traffic = traffic;
  const condition: RoutingCondition = { then: then as unknown as RoutingCondition["then"] };
  if (rule.description.trim()) condition.description = rule.description;
  if (mode === "advanced") condition.expression = rule.expression;
  else {
    if (rule.if.length > 0) condition.if = rule.if.map(clauseToApi);
    if (rule.any.length > 0) condition.any = rule.any.map(clauseToApi);
  }
  return condition;
}

/** The API's routing; null when there is nothing to keep (off and no rules). */
export function routingToApi(draft: RoutingDraft): Routing | null {
  if (!draft.enabled && draft.rules.length === 0) return null;
  const routing: Routing = {
    enabled: draft.enabled,
    conditions: draft.rules.map((rule) => ruleToApi(rule, draft.mode)),
  };
  if (draft.mode === "advanced") routing.mode = "advanced";
  return routing;
}

// --- builder to expression --------------------------------------------------------------

function literal(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(literal).join(", ")}]`;
  if (value === null || value === undefined) return "null";
  return JSON.stringify(value);
}

function fieldExpression(clause: ClauseDraft): string {
  if (clause.field === METADATA) return `metadata[${JSON.stringify(clause.fieldKey.trim())}]`;
  if (clause.field === HEADERS) return `headers[${JSON.stringify(clause.fieldKey.trim().toLowerCase())}]`;
  if (clause.field === ERROR_RATE) {
    const status = /^\d+$/.test(clause.status) ? clause.status : JSON.stringify(clause.status || "any");
    return `errorRate(${clause.window || "10"}, ${status})`;
  }
  return clauseField(clause) || "null";
}

const SYMBOLS: Record<string, string> = {
  equals: "==",
  notEquals: "!=",
  lessThan: "<",
  lessThanOrEqual: "<=",
  greaterThan: ">",
  greaterThanOrEqual: ">=",
  in: "in",
  notIn: "not in",
};

/** One test as an expression (a starting point: `exists` is approximated). */
export function clauseExpression(clause: ClauseDraft): string {
  const field = fieldExpression(clause);
  const { value } = clauseValue(clause);
  const symbol = SYMBOLS[clause.operator];
  if (symbol) return `${field} ${symbol} ${literal(value)}`;
  if (clause.operator === "exists") {
    return clause.value === "false" ? `(${field} == null || ${field} == "")` : `(${field} != null && ${field} != "")`;
  }
  if (clause.operator === "notContains") return `!contains(${field}, ${literal(value)})`;
  return `${clause.operator}(${field}, ${literal(value)})`;
}

/** A rule's builder tests as one expression (for switching a rule to the advanced mode). */
export function ruleExpression(rule: RuleDraft): string {
  const all = rule.if.map(clauseExpression);
  if (rule.any.length > 0) {
    const any = rule.any.map(clauseExpression);
    all.push(any.length === 1 ? any[0]! : `(${any.join(" || ")})`);
  }
  return all.length === 0 ? "true" : all.join(" && ");
}

// --- names of the parts, as the server's `param` names them ------------------------------

export const ruleParam = (index: number): string => `routing.conditions[${index}]`;
export const clauseParam = (index: number, group: Group, position: number): string =>
  `${ruleParam(index)}.${group}[${position}]`;

/** Every part of the routing editor an error may be shown beside. */
export function routingParams(draft: RoutingDraft): string[] {
  const names = ["routing", "routing.enabled", "routing.mode", "routing.conditions"];
  draft.rules.forEach((rule, index) => {
    const base = ruleParam(index);
    names.push(base, `${base}.description`, `${base}.expression`, `${base}.then`, `${base}.then.traffic`);
    names.push(`${base}.then.message`, `${base}.then.action`, `${base}.if`, `${base}.any`);
    names.push(`${base}.then.provider`, `${base}.then.model`, `${base}.then.connection`);
    for (const group of ["if", "any"] as const) {
      rule[group].forEach((_, position) => {
        const clause = clauseParam(index, group, position);
        names.push(clause, `${clause}.field`, `${clause}.operator`, `${clause}.value`);
        names.push(`${clause}.window`, `${clause}.status`);
      });
    }
  });
  return names;
}
