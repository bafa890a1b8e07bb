// What the resource editor offers: the installed providers, the environment's connections
// (their providers, names and allowed models) and API keys. A list the caller may not read
// leaves that part empty rather than failing the page.

import { envPath, isApiError } from "../../api/client";
import type { ApiKey, Connection, Page, Provider } from "../../api/types";
import { useApi } from "../../hooks/useApi";
import type { ModelCatalog } from "./models";

const ALL = { limit: 500 };

export interface Catalog extends ModelCatalog {
  /** Null: the caller may not list the environment's keys. */
  keys: ApiKey[] | null;
  loading: boolean;
  error: unknown;
  reload: () => void;
}

export function useCatalog(workspace: string, environment: string): Catalog {
  const providers = useApi<Provider[]>("/providers");
  const connections = useApi<Page<Connection>>(envPath(workspace, environment, "/connections"), ALL);
  const keys = useApi<Page<ApiKey>>(envPath(workspace, environment, "/api-keys"), ALL);
  const forbidden = (error: unknown) => isApiError(error, 403);
  const error = [providers.error, connections.error, keys.error].find((e) => e && !forbidden(e)) ?? null;
  return {
    providers: providers.data ?? [],
    connections: connections.data?.items ?? [],
    keys: keys.data ? keys.data.items : null,
    loading: providers.loading || connections.loading || keys.loading,
    error,
    reload: () => {
      providers.reload();
      connections.reload();
      keys.reload();
    },
  };
}
