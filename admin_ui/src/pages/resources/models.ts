// A model reference ({provider, model, connection?}) as the editor holds it, and what the
// environment offers for one: its connections' providers and models, and the installed
// providers' known models.

import type { Connection, ModelSpec, Provider } from "../../api/types";

export interface ModelDraft {
  provider: string;
  model: string;
  /** Empty: any connection of the provider that admits the model. */
  connection: string;
}

export const emptyModel = (): ModelDraft => ({ provider: "", model: "", connection: "" });

export function modelFromApi(spec: Partial<ModelSpec> | Record<string, unknown> | null | undefined): ModelDraft {
  const raw = (spec ?? {}) as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === "string" ? value : "");
  return { provider: text(raw.provider), model: text(raw.model), connection: text(raw.connection) };
}

export function modelToApi(draft: ModelDraft): ModelSpec {
  const spec: ModelSpec = { provider: draft.provider.trim(), model: draft.model.trim() };
  if (draft.connection.trim()) spec.connection = draft.connection.trim();
  return spec;
}

/** `openai/gpt-4o via openai-main`. */
export function describeModel(spec: Partial<ModelSpec> | null | undefined): string {
  if (!spec) return "—";
  const name = `${spec.provider ?? "?"}/${spec.model ?? "?"}`;
  return spec.connection ? `${name} via ${spec.connection}` : name;
}

/** What the model pickers offer. */
export interface ModelCatalog {
  providers: Provider[];
  connections: Connection[];
}

export interface ProviderOption {
  value: string;
  label: string;
}

/** The environment's connections' providers first, then the other installed providers. */
export function providerOptions(catalog: ModelCatalog, current: string): ProviderOption[] {
  const counts = new Map<string, number>();
  for (const connection of catalog.connections) {
    counts.set(connection.provider, (counts.get(connection.provider) ?? 0) + 1);
  }
  const names = [...counts.keys()].sort();
  for (const provider of catalog.providers) if (!counts.has(provider.name)) names.push(provider.name);
  if (current && !names.includes(current)) names.push(current);
  return names.map((name) => {
    const count = counts.get(name) ?? 0;
    const label = catalog.providers.find((p) => p.name === name)?.displayName ?? name;
    return {
      value: name,
      label: count ? `${label} (${count} connection${count === 1 ? "" : "s"})` : `${label} (no connection)`,
    };
  });
}

/** Models to suggest for a provider: its connections' allowed models, then known models. */
export function modelSuggestions(catalog: ModelCatalog, provider: string, connection: string): string[] {
  const chosen = catalog.connections.filter(
    (c) => c.provider === provider && (!connection || c.name === connection || c.id === connection),
  );
  const names = new Set<string>();
  for (const c of chosen) for (const model of c.allowedModels ?? []) names.add(model);
  for (const model of catalog.providers.find((p) => p.name === provider)?.knownModels ?? []) names.add(model);
  return [...names];
}

export function connectionsOf(catalog: ModelCatalog, provider: string): Connection[] {
  return catalog.connections.filter((c) => c.provider === provider);
}
