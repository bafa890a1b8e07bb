// A role's policy as the editor holds it, read from and written to JSON, and where the API's
// validation error about it belongs (`statements[0].actions[1]` → beside that action).

import type { Effect, PolicyStatement } from "../../api/types";

export const EFFECTS: Effect[] = ["ALLOW", "DENY"];

/** A new statement to fill in. */
export const blankStatement = (): PolicyStatement => ({ effect: "ALLOW", actions: [""], resources: ["*"] });

/** The statements as pretty JSON (the editor's JSON view). */
export const policyJson = (statements: PolicyStatement[]): string => JSON.stringify(statements, null, 2);

/** Statements from JSON text, or why the structured editor cannot show them. The API
 * explains what is wrong with statements the structured editor can show. */
export function parsePolicyJson(text: string): { statements: PolicyStatement[] } | { problem: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { problem: `not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (!Array.isArray(raw)) return { problem: "the policy must be a list of statements: [ {…}, … ]" };
  const statements: PolicyStatement[] = [];
  for (const [index, item] of raw.entries()) {
    const where = `statement ${index + 1}`;
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
      return { problem: `${where} must be an object with effect, actions and resources` };
    }
    const { effect, actions, resources, ...rest } = item as Record<string, unknown>;
    const extra = Object.keys(rest)[0];
    if (extra !== undefined) return { problem: `${where} has an unknown field "${extra}"` };
    if (effect !== "ALLOW" && effect !== "DENY") return { problem: `${where}: effect must be "ALLOW" or "DENY"` };
    if (!isStringList(actions)) return { problem: `${where}: actions must be a list of strings` };
    if (!isStringList(resources)) return { problem: `${where}: resources must be a list of strings` };
    statements.push({ effect, actions, resources });
  }
  return { statements };
}

const isStringList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === "string");

/** Where an error about `param` shows in the structured editor: "top", "statement:0",
 * "effect:0", "actions:0", "action:0:1", "resources:0" or "resource:0:2". */
export function errorPlace(param: string, statements: PolicyStatement[]): string {
  const found = /^statements\[(\d+)\](?:\.(effect|actions|resources)(?:\[(\d+)\])?|\.[^.[]+)?$/.exec(param);
  if (!found) return "top";
  const index = Number(found[1]);
  const statement = statements[index];
  if (!statement) return "top";
  const [, , field, position] = found;
  if (!field) return `statement:${index}`;
  if (field === "effect") return `effect:${index}`;
  if (position === undefined) return `${field}:${index}`;
  const list = field === "actions" ? statement.actions : statement.resources;
  const item = Number(position);
  if (item >= list.length) return `${field}:${index}`;
  return `${field === "actions" ? "action" : "resource"}:${index}:${item}`;
}
