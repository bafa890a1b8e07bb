// The caller's permissions, asked of POST /api/v1/auth/permissions.
//
// Components ask for the checks they draw; questions asked in the same tick go out as one
// request (at most MAX_CHECKS a request). Answers are kept per page: when the page changes
// (or after a change that may move permissions, via invalidate()) they become stale, stay
// shown, and are asked again, so gated controls neither flicker nor lie for long.

import { api } from "../api/client";
import type { Effect, PermissionAnswer, PermissionCheck } from "../api/types";

const MAX_CHECKS = 200;

const keyOf = (check: PermissionCheck): string => `${check.action}\u0000${check.resource}`;

interface Known {
  decision: Effect;
  generation: number;
}

export class PermissionStore {
  private known = new Map<string, Known>();
  private queued = new Map<string, PermissionCheck>();
  private inFlight = new Set<string>();
  private listeners = new Set<() => void>();
  private scheduled = false;
  private generation = 0;
  private version = 0;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Changes whenever an answer arrives (for useSyncExternalStore). */
  getVersion = (): number => this.version;

  /** The answer known for `check` (possibly stale), or undefined while unknown. */
  decision(check: PermissionCheck): Effect | undefined {
    return this.known.get(keyOf(check))?.decision;
  }

  /** Ask about `checks` unless fresh answers are known or on their way. */
  want(checks: PermissionCheck[]): void {
    for (const check of checks) {
      const key = keyOf(check);
      const known = this.known.get(key);
      if (known && known.generation === this.generation) continue;
      if (this.inFlight.has(key)) continue;
      this.queued.set(key, check);
    }
    if (this.queued.size > 0 && !this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => void this.flush());
    }
  }

  /** Mark every answer stale: the next want() asks again (answers stay shown meanwhile). */
  invalidate(): void {
    this.generation += 1;
    this.notify();
  }

  /** Forget everything (sign-out, another user). */
  clear(): void {
    this.known.clear();
    this.generation += 1;
    this.notify();
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const batch = [...this.queued.entries()];
    this.queued.clear();
    const generation = this.generation;
    for (let start = 0; start < batch.length; start += MAX_CHECKS) {
      const chunk = batch.slice(start, start + MAX_CHECKS);
      chunk.forEach(([key]) => this.inFlight.add(key));
      try {
        const answer = await api.post<{ results: PermissionAnswer[] }>("/auth/permissions", {
          checks: chunk.map(([, check]) => check),
        });
        answer.results.forEach((result, index) => {
          const entry = chunk[index];
          if (entry) this.known.set(entry[0], { decision: result.decision, generation });
        });
      } catch {
        // Unknown stays unknown: gated controls stay hidden, and the next page asks again.
      } finally {
        chunk.forEach(([key]) => this.inFlight.delete(key));
      }
    }
    this.notify();
  }

  private notify(): void {
    this.version += 1;
    this.listeners.forEach((listener) => listener());
  }
}
