// The selected workspace and environment live in the URL: /w/:ws/e/:env/<area>/...
// (names, not ids: they are what policies and the API's paths use). The last one chosen is
// remembered so the navigation can offer the environment's pages from anywhere; the shell
// follows the remembered one as it changes (useRememberedScope).

import { useMemo, useSyncExternalStore } from "react";
import { useMatch, useParams } from "react-router-dom";
import { seg } from "../api/client";

export interface Scope {
  workspace: string;
  environment: string;
}

const REMEMBERED = "switchboard.scope";

/** The UI path of an environment's area: `/w/acme/e/production/connections`. */
export function scopePath(scope: Scope, area = "", rest = ""): string {
  const base = `/w/${seg(scope.workspace)}/e/${seg(scope.environment)}`;
  return `${base}${area ? `/${area}` : ""}${rest}`;
}

/** The UI path of a workspace's page. */
export const workspacePath = (workspace: string): string => `/w/${seg(workspace)}`;

/** For pages under /w/:ws/e/:env: the scope from the route (throws elsewhere). */
export function useEnvironmentScope(): Scope {
  const { ws, env } = useParams();
  if (ws === undefined || env === undefined) {
    throw new Error("useEnvironmentScope is for pages under /w/:ws/e/:env");
  }
  return { workspace: ws, environment: env };
}

/** For the shell (outside the matched page): what the URL selects, if anything. */
export function useUrlScope(): { workspace?: string; environment?: string; area?: string } {
  const environmentMatch = useMatch("/w/:ws/e/:env/*");
  const workspaceMatch = useMatch("/w/:ws/*");
  if (environmentMatch?.params.ws && environmentMatch.params.env) {
    const area = (environmentMatch.params["*"] ?? "").split("/")[0] || undefined;
    return {
      workspace: environmentMatch.params.ws,
      environment: environmentMatch.params.env,
      area,
    };
  }
  if (workspaceMatch?.params.ws) return { workspace: workspaceMatch.params.ws };
  return {};
}

const rememberedListeners = new Set<() => void>();
const announce = () => rememberedListeners.forEach((listener) => listener());

export function rememberScope(scope: Scope): void {
  try {
    localStorage.setItem(REMEMBERED, JSON.stringify(scope));
  } catch {
    // Private mode without storage: the URL still carries the scope.
  }
  announce();
}

function rememberedRaw(): string | null {
  try {
    return localStorage.getItem(REMEMBERED);
  } catch {
    return null;
  }
}

function parseScope(raw: string | null): Scope | null {
  if (!raw) return null;
  try {
    const parsed = JSON.parse(raw) as Partial<Scope>;
    return typeof parsed.workspace === "string" && typeof parsed.environment === "string"
      ? { workspace: parsed.workspace, environment: parsed.environment }
      : null;
  } catch {
    return null;
  }
}

export function rememberedScope(): Scope | null {
  return parseScope(rememberedRaw());
}

export function forgetScope(): void {
  try {
    localStorage.removeItem(REMEMBERED);
  } catch {
    // Nothing to forget.
  }
  announce();
}

function subscribeRemembered(listener: () => void): () => void {
  rememberedListeners.add(listener);
  // Another tab choosing an environment changes it too.
  window.addEventListener("storage", listener);
  return () => {
    rememberedListeners.delete(listener);
    window.removeEventListener("storage", listener);
  };
}

/** The remembered scope, kept current: a component using it renders again when a page
 * remembers or forgets one (the wizard's new environment, a deleted workspace). */
export function useRememberedScope(): Scope | null {
  const raw = useSyncExternalStore(subscribeRemembered, rememberedRaw);
  return useMemo(() => parseScope(raw), [raw]);
}
