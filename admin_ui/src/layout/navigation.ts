// What the navigation offers, and the permission each entry needs: an entry the caller may
// not use is not shown. Add a page to the menu here (and its route in App.tsx).

import type { PermissionCheck } from "../api/types";
import {
  aiResourceResource,
  environmentResource,
  roleResource,
  userResource,
} from "../permissions/resources";
import type { Scope } from "./scope";

export interface NavEntry {
  label: string;
  /** The path under the scope (environment entries) or from the root. */
  path: string;
  /** Shown only when allowed; no check: always shown. */
  needs?: PermissionCheck;
}

export const GENERAL_ENTRIES: NavEntry[] = [
  { label: "Getting started", path: "/getting-started" },
  { label: "Workspaces", path: "/workspaces" },
];

/** The selected environment's pages; `path` is the area under /w/:ws/e/:env/. */
export function environmentEntries(scope: Scope): NavEntry[] {
  const env = environmentResource(scope.workspace, scope.environment);
  return [
    { label: "Environment settings", path: "settings", needs: { action: "environment:get", resource: env } },
    { label: "Connections", path: "connections", needs: { action: "ai-connection:list", resource: env } },
    { label: "Resources", path: "resources", needs: { action: "ai-resource:list", resource: env } },
    { label: "API keys", path: "api-keys", needs: { action: "api-key:list", resource: env } },
    {
      label: "Playground",
      path: "playground",
      needs: {
        action: "completion:execute",
        resource: aiResourceResource(scope.workspace, scope.environment),
      },
    },
    { label: "Usage", path: "usage", needs: { action: "completion-usage:query", resource: env } },
    { label: "Audit log", path: "audit", needs: { action: "completion-audit:list", resource: env } },
  ];
}

export const ADMIN_ENTRIES: NavEntry[] = [
  { label: "Users", path: "/users", needs: { action: "user:list", resource: userResource() } },
  { label: "Roles", path: "/roles", needs: { action: "role:list", resource: roleResource() } },
  {
    label: "Policy simulator",
    path: "/policy-simulator",
    needs: { action: "policy:simulate", resource: userResource() },
  },
];

export const ACCOUNT_ENTRIES: NavEntry[] = [{ label: "Account", path: "/account" }];
