// The one way the UI talks to the gateway: the public REST API under /api/v1, same origin.
//
// - The session cookie (HttpOnly) goes along by itself; writes echo the readable `sb_csrf`
//   cookie in `x-csrf-token`, as the gateway asks of cookie-authenticated writes.
// - Every error answer is `{"error": {message, type, param, code}}`: it becomes an ApiError,
//   whose `param` names the field (camelCase, e.g. `name` or `checks[0].action`) so forms can
//   show the message beside it (see components/Form.tsx).
// - A 401 tells the session layer (auth/AuthContext.tsx) to go back to the login page.
// - Every successful write is announced (onApiWrite), so parts of the page that show what
//   another part may change (the shell's workspace list) load again without a reload.

export const API_BASE = "/api/v1";
const CSRF_COOKIE = "sb_csrf";
const CSRF_HEADER = "x-csrf-token";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
export type Query = Record<string, string | number | boolean | null | undefined | string[]>;

/** An error answer of the API (or a network failure, with status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  readonly code: string | null;
  readonly requestId: string | null;
  readonly retryAfter: number | null;

  constructor(init: {
    status: number;
    message: string;
    type?: string;
    param?: string | null;
    code?: string | null;
    requestId?: string | null;
    retryAfter?: number | null;
  }) {
    super(init.message);
    this.name = "ApiError";
    this.status = init.status;
    this.type = init.type ?? "error";
    this.param = init.param ?? null;
    this.code = init.code ?? null;
    this.requestId = init.requestId ?? null;
    this.retryAfter = init.retryAfter ?? null;
  }
}

/** Whether `error` is an ApiError (optionally with that status). */
export function isApiError(error: unknown, status?: number): error is ApiError {
  return error instanceof ApiError && (status === undefined || error.status === status);
}

/** A readable message for anything thrown. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

type UnauthorizedListener = (error: ApiError) => void;
let onUnauthorized: UnauthorizedListener | null = null;

/** Called with every 401 (except the sign-in's own); the session layer registers it. */
export function setUnauthorizedHandler(listener: UnauthorizedListener | null): void {
  onUnauthorized = listener;
}

type WriteListener = (method: HttpMethod, path: string) => void;
const writeListeners = new Set<WriteListener>();

/** Be told of every successful POST, PUT, PATCH and DELETE (with its path, without the
 * query); returns the function that stops it. */
export function onApiWrite(listener: WriteListener): () => void {
  writeListeners.add(listener);
  return () => {
    writeListeners.delete(listener);
  };
}

let csrfFromLogin: string | null = null;

/** Remember the CSRF token the login answered with (the cookie carries the same value). */
export function setCsrfToken(token: string | null): void {
  csrfFromLogin = token;
}

function csrfToken(): string | null {
  for (const part of document.cookie.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === CSRF_COOKIE) return decodeURIComponent(rest.join("="));
  }
  return csrfFromLogin;
}

/** `/api/v1` + path + query string (arrays repeat the key; null/undefined are left out). */
export function apiUrl(path: string, query?: Query): string {
  const url = `${API_BASE}${path}`;
  if (!query) return url;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === null || value === undefined) continue;
    if (Array.isArray(value)) value.forEach((v) => params.append(key, v));
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text ? `${url}?${text}` : url;
}

/** Options of one request. */
export interface RequestOptions {
  query?: Query;
  signal?: AbortSignal;
  /** Don't hand a 401 to the session layer (the login form shows it itself). */
  quietUnauthorized?: boolean;
}

/** Send one request and decode the JSON answer (undefined for 204). Throws ApiError. */
export async function request<T>(
  method: HttpMethod,
  path: string,
  body?: unknown,
  options: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (!SAFE_METHODS.has(method)) {
    const token = csrfToken();
    if (token) headers[CSRF_HEADER] = token;
  }
  let response: Response;
  try {
    response = await fetch(apiUrl(path, options.query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError({ status: 0, message: "the gateway cannot be reached", type: "network_error" });
  }
  if (response.ok) {
    const text = response.status === 204 ? "" : await response.text();
    if (!SAFE_METHODS.has(method)) writeListeners.forEach((listener) => listener(method, path));
    return (text ? JSON.parse(text) : undefined) as T;
  }
  const error = await toApiError(response);
  if (error.status === 401 && !options.quietUnauthorized) onUnauthorized?.(error);
  throw error;
}

async function toApiError(response: Response): Promise<ApiError> {
  const requestId = response.headers.get("x-request-id");
  const retry = Number(response.headers.get("retry-after"));
  const retryAfter = Number.isFinite(retry) && retry > 0 ? retry : null;
  try {
    const body = (await response.json()) as { error?: Partial<Record<string, unknown>> };
    const error = body.error ?? {};
    return new ApiError({
      status: response.status,
      message: typeof error.message === "string" ? error.message : response.statusText,
      type: typeof error.type === "string" ? error.type : undefined,
      param: typeof error.param === "string" ? error.param : null,
      code: typeof error.code === "string" ? error.code : null,
      requestId,
      retryAfter,
    });
  } catch {
    return new ApiError({
      status: response.status,
      message: `${response.status} ${response.statusText}`.trim(),
      requestId,
      retryAfter,
    });
  }
}

/** The verbs, typed by the answer they return. */
export const api = {
  get: <T>(path: string, options?: RequestOptions) => request<T>("GET", path, undefined, options),
  post: <T>(path: string, body?: unknown, options?: RequestOptions) =>
    request<T>("POST", path, body, options),
  put: <T>(path: string, body?: unknown, options?: RequestOptions) =>
    request<T>("PUT", path, body, options),
  patch: <T>(path: string, body?: unknown, options?: RequestOptions) =>
    request<T>("PATCH", path, body, options),
  delete: <T = void>(path: string, options?: RequestOptions) =>
    request<T>("DELETE", path, undefined, options),
};

/** One path segment: names may hold spaces, quotes and unicode. */
export const seg = (value: string): string => encodeURIComponent(value);

/** `/workspaces/{ws}/environments/{env}` + rest: the prefix of every environment-scoped path. */
export function envPath(workspace: string, environment: string, rest = ""): string {
  return `/workspaces/${seg(workspace)}/environments/${seg(environment)}${rest}`;
}
