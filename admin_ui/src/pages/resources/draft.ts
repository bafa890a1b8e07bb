// A resource as its editor holds it, and the request bodies made from it.

import type { CapacityEntry, Resource, ResourceCreate, ResourceUpdate } from "../../api/types";
import { fallbackParams, fallbackRow, type FallbackRow } from "./FallbackEditor";
import { modelParams } from "./ModelFields";
import { emptyModel, modelFromApi, modelToApi, type ModelDraft } from "./models";
import { emptyRouting, routingFromApi, routingParams, routingToApi, type RoutingDraft } from "./routing";

export interface ResourceDraft {
  name: string;
  description: string;
  model: ModelDraft;
  routing: RoutingDraft;
  useFallback: boolean;
  fallbacks: FallbackRow[];
  capacity: CapacityEntry[];
  enforceCapacity: boolean;
  /** Milliseconds as typed; empty: never wait. */
  maxQueueWaitMs: string;
  /** API key names. */
  keys: string[];
}

export function emptyDraft(): ResourceDraft {
  return {
    name: "",
    description: "",
    model: emptyModel(),
    routing: emptyRouting(),
    useFallback: false,
    fallbacks: [],
    capacity: [],
    enforceCapacity: false,
    maxQueueWaitMs: "",
    keys: [],
  };
}

export function draftFromResource(resource: Resource): ResourceDraft {
  return {
    name: resource.name,
    description: resource.description,
    model: modelFromApi(resource.model),
    routing: routingFromApi(resource.routing),
    useFallback: resource.useFallback,
    fallbacks: resource.fallbackModels.map((spec) => fallbackRow(modelFromApi(spec))),
    capacity: resource.capacity.map((entry) => ({ ...entry })),
    enforceCapacity: resource.enforceCapacity,
    maxQueueWaitMs: resource.maxQueueWaitMs === null ? "" : String(resource.maxQueueWaitMs),
    keys: [...resource.assignApiKeys],
  };
}

function queueWait(text: string): number | null {
  if (text.trim() === "") return null;
  const number = Number(text);
  return Number.isFinite(number) ? number : (text as unknown as number);
}

/** The body of a create, or of an update (`keysEditable`: whether keys are sent). */
export function draftToApi(draft: ResourceDraft, keysEditable: boolean): ResourceCreate & ResourceUpdate {
  const body: ResourceCreate = {
    name: draft.name.trim(),
    description: draft.description,
    model: modelToApi(draft.model),
    routing: routingToApi(draft.routing),
    useFallback: draft.useFallback,
    fallbackModels: draft.fallbacks.map((row) => modelToApi(row.model)),
    capacity: draft.capacity,
    enforceCapacity: draft.enforceCapacity,
    maxQueueWaitMs: queueWait(draft.maxQueueWaitMs),
  };
  if (keysEditable) body.assignApiKeys = draft.keys;
  return body;
}

/** Every part of the editor an API error may be shown beside. */
export function draftParams(draft: ResourceDraft): string[] {
  return [
    "name",
    "description",
    ...modelParams("model"),
    ...routingParams(draft.routing),
    ...fallbackParams(draft.fallbacks),
    "capacity",
    "enforceCapacity",
    "maxQueueWaitMs",
    "assignApiKeys",
  ];
}
