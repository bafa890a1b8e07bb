// Every route of the UI. The basename is /ui (see main.tsx), so "/connections" here is
// /ui/connections in the browser. Each area is one lazily loaded page module whose owner may
// route sub-pages inside it (hence the "/*"); see admin_ui/README.md.

import { lazy, Suspense, type ReactNode } from "react";
import { Navigate, Route, Routes, useParams } from "react-router-dom";
import { SessionProvider } from "./auth/AuthContext";
import { RequireSession } from "./auth/RequireSession";
import { Loading } from "./components";
import { AppShell } from "./layout/AppShell";
import { scopePath } from "./layout/scope";

const LoginPage = lazy(() => import("./pages/auth/LoginPage"));
const AccountPage = lazy(() => import("./pages/account/AccountPage"));
const GettingStartedPage = lazy(() => import("./pages/getting-started/GettingStartedPage"));
const WorkspacesPage = lazy(() => import("./pages/workspaces/WorkspacesPage"));
const WorkspacePage = lazy(() => import("./pages/workspaces/WorkspacePage"));
const EnvironmentSettingsPage = lazy(() => import("./pages/environment/EnvironmentSettingsPage"));
const ConnectionsPage = lazy(() => import("./pages/connections/ConnectionsPage"));
const ResourcesPage = lazy(() => import("./pages/resources/ResourcesPage"));
const ApiKeysPage = lazy(() => import("./pages/api-keys/ApiKeysPage"));
const PlaygroundPage = lazy(() => import("./pages/playground/PlaygroundPage"));
const UsagePage = lazy(() => import("./pages/usage/UsagePage"));
const AuditLogPage = lazy(() => import("./pages/audit/AuditLogPage"));
const UsersPage = lazy(() => import("./pages/users/UsersPage"));
const RolesPage = lazy(() => import("./pages/roles/RolesPage"));
const PolicySimulatorPage = lazy(() => import("./pages/policy-simulator/PolicySimulatorPage"));
const NotFoundPage = lazy(() => import("./pages/NotFoundPage"));

function Lazy({ children }: { children: ReactNode }) {
  return <Suspense fallback={<Loading />}>{children}</Suspense>;
}

/** /w/:ws/e/:env alone opens the environment's connections. */
function EnvironmentHome() {
  const { ws, env } = useParams();
  return <Navigate to={scopePath({ workspace: ws ?? "", environment: env ?? "" }, "connections")} replace />;
}

export function App() {
  return (
    <SessionProvider>
      <Routes>
        <Route path="/login" element={<Lazy><LoginPage /></Lazy>} />
        <Route
          element={
            <RequireSession>
              <AppShell />
            </RequireSession>
          }
        >
          <Route index element={<Navigate to="/getting-started" replace />} />
          <Route path="getting-started/*" element={<Lazy><GettingStartedPage /></Lazy>} />
          <Route path="workspaces/*" element={<Lazy><WorkspacesPage /></Lazy>} />
          <Route path="w/:ws/e/:env" element={<EnvironmentHome />} />
          <Route path="w/:ws/e/:env/settings/*" element={<Lazy><EnvironmentSettingsPage /></Lazy>} />
          <Route path="w/:ws/e/:env/connections/*" element={<Lazy><ConnectionsPage /></Lazy>} />
          <Route path="w/:ws/e/:env/resources/*" element={<Lazy><ResourcesPage /></Lazy>} />
          <Route path="w/:ws/e/:env/api-keys/*" element={<Lazy><ApiKeysPage /></Lazy>} />
          <Route path="w/:ws/e/:env/playground/*" element={<Lazy><PlaygroundPage /></Lazy>} />
          <Route path="w/:ws/e/:env/usage/*" element={<Lazy><UsagePage /></Lazy>} />
          <Route path="w/:ws/e/:env/audit/*" element={<Lazy><AuditLogPage /></Lazy>} />
          <Route path="w/:ws/*" element={<Lazy><WorkspacePage /></Lazy>} />
          <Route path="users/*" element={<Lazy><UsersPage /></Lazy>} />
          <Route path="roles/*" element={<Lazy><RolesPage /></Lazy>} />
          <Route path="policy-simulator/*" element={<Lazy><PolicySimulatorPage /></Lazy>} />
          <Route path="account/*" element={<Lazy><AccountPage /></Lazy>} />
          <Route path="*" element={<Lazy><NotFoundPage /></Lazy>} />
        </Route>
      </Routes>
    </SessionProvider>
  );
}
