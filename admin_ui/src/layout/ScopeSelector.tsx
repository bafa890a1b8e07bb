// Choose the workspace and environment the environment pages work on. The choice is the URL
// (/w/:ws/e/:env/<area>); switching keeps the page area (Connections stays Connections).
// The lists load again whenever the UI creates, renames or deletes a workspace or an
// environment (the wizard, the workspaces pages), so a new one is offered at once.

import { useEffect, useState } from "react";
import { useNavigate } from "react-router-dom";
import { api, onApiWrite, seg } from "../api/client";
import type { Environment, Page, Workspace } from "../api/types";
import { ButtonLink } from "../components";
import { useApi } from "../hooks/useApi";
import { Can } from "../permissions/Permissions";
import { workspaceResource } from "../permissions/resources";
import { scopePath, workspacePath, type Scope } from "./scope";

const DEFAULT_AREA = "connections";

/** The API paths whose writes change the workspaces or environments listed here. */
const TENANCY_PATH = /^\/workspaces(\/[^/]+(\/environments(\/[^/]+)?)?)?$/;

export function ScopeSelector({ current, area }: { current: Partial<Scope>; area?: string }) {
  const navigate = useNavigate();
  const workspaces = useApi<Page<Workspace>>("/workspaces", { limit: 500 });
  const environments = useApi<Page<Environment>>(
    current.workspace ? `/workspaces/${seg(current.workspace)}/environments` : null,
    { limit: 500 },
  );
  const [switching, setSwitching] = useState(false);
  useEffect(() => setSwitching(false), [current.workspace, current.environment]);
  const { reload: reloadWorkspaces } = workspaces;
  const { reload: reloadEnvironments } = environments;
  useEffect(
    () =>
      onApiWrite((_method, path) => {
        if (!TENANCY_PATH.test(path)) return;
        reloadWorkspaces();
        reloadEnvironments();
      }),
    [reloadWorkspaces, reloadEnvironments],
  );

  const chooseWorkspace = async (workspace: string) => {
    if (!workspace) return;
    setSwitching(true);
    try {
      const found = await api.get<Page<Environment>>(`/workspaces/${seg(workspace)}/environments`, {
        query: { limit: 1 },
      });
      const first = found.items[0];
      navigate(first ? scopePath({ workspace, environment: first.name }, area ?? DEFAULT_AREA) : workspacePath(workspace));
    } catch {
      navigate(workspacePath(workspace));
    } finally {
      setSwitching(false);
    }
  };

  const chooseEnvironment = (environment: string) => {
    if (!environment || !current.workspace) return;
    navigate(scopePath({ workspace: current.workspace, environment }, area ?? DEFAULT_AREA));
  };

  const workspaceItems = workspaces.data?.items ?? [];
  const environmentItems = environments.data?.items ?? [];
  return (
    <div className="scope-selector">
      <label className="scope-label" htmlFor="scope-workspace">
        Workspace
      </label>
      <select
        id="scope-workspace"
        className="input input-compact"
        value={current.workspace ?? ""}
        disabled={workspaces.loading || switching}
        onChange={(event) => void chooseWorkspace(event.target.value)}
      >
        <option value="">{workspaceItems.length ? "Choose a workspace" : "No workspace yet"}</option>
        {workspaceItems.map((w) => (
          <option key={w.id} value={w.name}>
            {w.name}
          </option>
        ))}
        {current.workspace && !workspaceItems.some((w) => w.name === current.workspace) ? (
          <option value={current.workspace}>{current.workspace}</option>
        ) : null}
      </select>
      {current.workspace ? (
        <>
          <label className="scope-label" htmlFor="scope-environment">
            Environment
          </label>
          <select
            id="scope-environment"
            className="input input-compact"
            value={current.environment ?? ""}
            disabled={environments.loading || switching}
            onChange={(event) => chooseEnvironment(event.target.value)}
          >
            <option value="">{environmentItems.length ? "Choose an environment" : "No environment yet"}</option>
            {environmentItems.map((e) => (
              <option key={e.id} value={e.name}>
                {e.name}
              </option>
            ))}
            {current.environment && !environmentItems.some((e) => e.name === current.environment) ? (
              <option value={current.environment}>{current.environment}</option>
            ) : null}
          </select>
        </>
      ) : null}
      <Can action="workspace:create" resource={workspaceResource("*")}>
        <ButtonLink to="/workspaces/new" size="small" variant="ghost" className="scope-new">
          + New workspace
        </ButtonLink>
      </Can>
    </div>
  );
}
