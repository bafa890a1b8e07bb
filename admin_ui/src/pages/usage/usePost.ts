// Ask the API a question by POST (the usage query) and keep the answer for a page:
// `{ data, error, loading, reload }`, like hooks/useApi.ts for GETs. A null body asks nothing.

import { useCallback, useEffect, useState } from "react";
import { api } from "../../api/client";

export function usePost<T>(path: string, body: unknown) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(body !== null);
  const [round, setRound] = useState(0);
  const key = body === null ? null : JSON.stringify(body);

  useEffect(() => {
    if (key === null) {
      setLoading(false);
      setData(undefined);
      return;
    }
    const controller = new AbortController();
    setLoading(true);
    setError(null);
    api
      .post<T>(path, JSON.parse(key), { signal: controller.signal })
      .then((answer) => {
        setData(answer);
        setLoading(false);
      })
      .catch((caught: unknown) => {
        if (controller.signal.aborted) return;
        setError(caught);
        setData(undefined);
        setLoading(false);
      });
    return () => controller.abort();
  }, [path, key, round]);

  const reload = useCallback(() => setRound((n) => n + 1), []);
  return { data, error, loading, reload };
}
