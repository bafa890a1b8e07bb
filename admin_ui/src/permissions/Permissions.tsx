// Gate controls by the caller's permissions, so a user never sees a button that would only
// earn a 403:
//
//   <Can action="ai-connection:create" resource={connectionResource(ws, env)}>
//     <Button>New connection</Button>
//   </Can>
//
//   const { can } = usePermissions([{ action: "user:create", resource: userResource() }]);
//
// Nothing gated shows while the answer is unknown. The checks are batched and cached per page
// (see store.ts); after a change that may move permissions call usePermissionStore().invalidate().

import {
  createContext,
  useContext,
  useEffect,
  useMemo,
  useState,
  useSyncExternalStore,
  type ReactNode,
} from "react";
import { useLocation } from "react-router-dom";
import type { PermissionCheck } from "../api/types";
import { PermissionStore } from "./store";

const StoreContext = createContext<PermissionStore | null>(null);

/** Holds the answers for the signed-in user; `userId` changing forgets them. */
export function PermissionsProvider({ userId, children }: { userId: string; children: ReactNode }) {
  const [store] = useState(() => new PermissionStore());
  const { pathname } = useLocation();
  useEffect(() => store.clear(), [store, userId]);
  useEffect(() => store.invalidate(), [store, pathname]);
  return <StoreContext.Provider value={store}>{children}</StoreContext.Provider>;
}

/** The store, e.g. to invalidate() after changing roles or memberships. */
export function usePermissionStore(): PermissionStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error("usePermissionStore needs a PermissionsProvider above it");
  return store;
}

export interface Permissions {
  /** Whether the caller may: false while unknown. */
  can: (action: string, resource: string) => boolean;
  /** Whether any of the checks still waits for its first answer. */
  loading: boolean;
}

/** Ask about `checks` (asked again when their list changes or the page changes). */
export function usePermissions(checks: PermissionCheck[]): Permissions {
  const store = usePermissionStore();
  const version = useSyncExternalStore(store.subscribe, store.getVersion);
  const signature = checks.map((c) => `${c.action} ${c.resource}`).join("\n");
  // `version` moves on invalidate() too, so stale answers are asked for again.
  useEffect(() => store.want(checks), [store, signature, version]);
  return useMemo(
    () => ({
      can: (action: string, resource: string) => store.decision({ action, resource }) === "ALLOW",
      loading: checks.some((check) => store.decision(check) === undefined),
    }),
    [store, version, signature],
  );
}

/** One check: true, false, or undefined while unknown. */
export function useCan(action: string, resource: string): boolean | undefined {
  const { loading, can } = usePermissions([{ action, resource }]);
  return loading ? undefined : can(action, resource);
}

/** Render `children` only when the caller may do `action` on `resource`; else `fallback`. */
export function Can({
  action,
  resource,
  fallback = null,
  children,
}: {
  action: string;
  resource: string;
  fallback?: ReactNode;
  children: ReactNode;
}) {
  const allowed = useCan(action, resource);
  if (allowed === undefined) return null;
  return <>{allowed ? children : fallback}</>;
}
