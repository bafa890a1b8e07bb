import type { ReactNode } from "react";
import { Navigate, useLocation } from "react-router-dom";
import { Loading } from "../components";
import { PermissionsProvider } from "../permissions/Permissions";
import { loginPath, useSession } from "./AuthContext";

/** The signed-in part of the app: the login page otherwise (coming back here after). */
export function RequireSession({ children }: { children: ReactNode }) {
  const { state } = useSession();
  const location = useLocation();
  if (state.status === "loading") return <Loading label="Checking your session…" />;
  if (state.status === "signed-out") {
    const next = state.ended ? undefined : location.pathname + location.search;
    return <Navigate to={loginPath(next)} replace />;
  }
  return <PermissionsProvider userId={state.user.id}>{children}</PermissionsProvider>;
}
