// Policy resource names, exactly as the gateway builds them (core/src/switchboard/api/
// lookup.py and the controllers): the `resource` of a permission check. `"*"` as a name asks
// about "any such object", e.g. whether the caller may create one.

export const workspaceResource = (ws: string): string => `workspace:${ws}`;

export const environmentResource = (ws: string, env: string): string =>
  `${workspaceResource(ws)}:environment:${env}`;

export const connectionResource = (ws: string, env: string, name = "*"): string =>
  `${environmentResource(ws, env)}:ai-connection:${name}`;

export const aiResourceResource = (ws: string, env: string, name = "*"): string =>
  `${environmentResource(ws, env)}:ai-resource:${name}`;

export const apiKeyResource = (ws: string, env: string, name = "*"): string =>
  `${environmentResource(ws, env)}:api-key:${name}`;

/** Users are named by email. */
export const userResource = (email = "*"): string => `user:${email}`;

export const roleResource = (name = "*"): string => `role:${name}`;

/** The management audit across workspaces. */
export const GLOBAL_AUDIT_RESOURCE = "audit:global";
