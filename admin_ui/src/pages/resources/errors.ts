// Where an API error shows in a form of many nested parts: beside the most specific part
// the page draws whose name the error's `param` is, or is inside of
// (`routing.conditions[1].if[0].value` beside that value; `routing.conditions[1].then` beside
// the rule's target when nothing more specific is drawn). Errors no part claims go in a banner.

import { ApiError } from "../../api/client";
import { fieldError, paramConcerns } from "../../components";

export interface ErrorPlacement {
  /** The message for the part `name` (null unless the error belongs there). */
  at: (name: string) => string | null;
  /** The error when no part claims it. */
  unclaimed: unknown;
}

export function placeError(error: unknown, names: string[]): ErrorPlacement {
  if (!error) return { at: () => null, unclaimed: null };
  if (!(error instanceof ApiError) || !error.param) return { at: () => null, unclaimed: error };
  const param = error.param;
  let target: string | null = null;
  for (const name of names) {
    if (paramConcerns(param, name) && (target === null || name.length > target.length)) target = name;
  }
  if (target === null) return { at: () => null, unclaimed: error };
  const message = fieldError(error, target) ?? error.message;
  const chosen = target;
  return { at: (name) => (name === chosen ? message : null), unclaimed: null };
}
