// The session: who is signed in (GET /auth/me on load), sign-in, sign-out. Any 401 from the
// API (an expired or ended session) returns to the login page, which comes back to where the
// user was after signing in.

import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
  type ReactNode,
} from "react";
import { api, setCsrfToken, setUnauthorizedHandler } from "../api/client";
import type { LoginResponse, User } from "../api/types";

export type SessionState =
  | { status: "loading" }
  /** `ended`: the user signed out themselves (the login page then forgets where they were). */
  | { status: "signed-out"; ended?: boolean }
  | { status: "signed-in"; user: User };

export interface Session {
  state: SessionState;
  /** The signed-in user (throws outside the signed-in part of the app). */
  user: User;
  signIn: (username: string, password: string) => Promise<User>;
  signOut: () => Promise<void>;
  /** Read /auth/me again (after changing one's own account). */
  refresh: () => Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

/** Where the login page sends the user back to: `/login?next=/w/acme/e/prod/connections`. */
export function loginPath(next?: string): string {
  return next && next !== "/" && !next.startsWith("/login")
    ? `/login?next=${encodeURIComponent(next)}`
    : "/login";
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: "loading" });

  const refresh = useCallback(async () => {
    try {
      const user = await api.get<User>("/auth/me", { quietUnauthorized: true });
      setState({ status: "signed-in", user });
    } catch {
      setState({ status: "signed-out" });
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  useEffect(() => {
    setUnauthorizedHandler(() => {
      // RequireSession then sends the user to the login page, and back here afterwards.
      setCsrfToken(null);
      setState({ status: "signed-out" });
    });
    return () => setUnauthorizedHandler(null);
  }, []);

  const signIn = useCallback(async (username: string, password: string) => {
    const answer = await api.post<LoginResponse>(
      "/auth/login",
      { username, password },
      { quietUnauthorized: true },
    );
    setCsrfToken(answer.csrfToken);
    // /auth/me adds the memberships the login answer leaves out.
    const user = await api.get<User>("/auth/me", { quietUnauthorized: true });
    setState({ status: "signed-in", user });
    return user;
  }, []);

  const signOut = useCallback(async () => {
    try {
      await api.post("/auth/logout", undefined, { quietUnauthorized: true });
    } finally {
      setCsrfToken(null);
      setState({ status: "signed-out", ended: true });
    }
  }, []);

  const session = useMemo<Session>(
    () => ({
      state,
      get user(): User {
        if (state.status !== "signed-in") throw new Error("nobody is signed in");
        return state.user;
      },
      signIn,
      signOut,
      refresh,
    }),
    [state, signIn, signOut, refresh],
  );
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession needs a SessionProvider above it");
  return session;
}
