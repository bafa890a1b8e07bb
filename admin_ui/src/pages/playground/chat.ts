// One chat completion through the gateway's data plane (POST /v1/chat/completions), as an
// application makes it: with an API key, never the admin session. Streamed answers are read
// as they arrive (data-only SSE, `data: [DONE]` at the end) and handed over token by token.

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** What the gateway's x-switchboard-* headers say about the answer. */
export interface GatewayInfo {
  provider: string | null;
  model: string | null;
  connection: string | null;
  route: string | null;
  attempts: string | null;
  requestId: string | null;
}

export interface ChatResult {
  text: string;
  usage: Usage | null;
  finishReason: string | null;
  info: GatewayInfo;
  /** Milliseconds from sending to the first token (streams), and to the end. */
  firstTokenMs: number | null;
  totalMs: number;
}

/** A failure answered by the gateway (or met in the stream), readable as it is. */
export class GatewayFailure extends Error {
  readonly status: number;
  readonly code: string | null;
  readonly type: string | null;
  readonly retryAfter: number | null;
  readonly info: GatewayInfo | null;
  /** The partial answer when a stream broke off. */
  readonly partial: string;

  constructor(init: {
    status: number;
    message: string;
    code?: string | null;
    type?: string | null;
    retryAfter?: number | null;
    info?: GatewayInfo | null;
    partial?: string;
  }) {
    super(init.message);
    this.name = "GatewayFailure";
    this.status = init.status;
    this.code = init.code ?? null;
    this.type = init.type ?? null;
    this.retryAfter = init.retryAfter ?? null;
    this.info = init.info ?? null;
    this.partial = init.partial ?? "";
  }

  /** What each model of the chain got, when every one failed ("attempt 1: ...; attempt 2: ..."). */
  get attempts(): string[] {
    const marker = this.message.indexOf("attempt 1:");
    if (marker < 0) return [];
    return this.message
      .slice(marker)
      .split(/;\s*(?=attempt \d+:)/)
      .map((part) => part.trim())
      .filter(Boolean);
  }
}

/** Data-only server-sent events, fed in pieces as they arrive. */
export class SseReader {
  private buffer = "";

  /** The complete events' data in `text` (plus what was buffered). */
  feed(text: string): string[] {
    this.buffer += text;
    const events: string[] = [];
    for (;;) {
      const match = /\r?\n\r?\n/.exec(this.buffer);
      if (!match) break;
      const block = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const data = block
        .split(/\r?\n/)
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).replace(/^ /, ""));
      if (data.length) events.push(data.join("\n"));
    }
    return events;
  }
}

function gatewayInfo(headers: Headers): GatewayInfo {
  return {
    provider: headers.get("x-switchboard-provider"),
    model: headers.get("x-switchboard-model"),
    connection: headers.get("x-switchboard-connection"),
    route: headers.get("x-switchboard-route"),
    attempts: headers.get("x-switchboard-attempts"),
    requestId: headers.get("x-request-id"),
  };
}

interface ErrorBody {
  error?: { message?: unknown; type?: unknown; code?: unknown };
}

async function failure(response: Response): Promise<GatewayFailure> {
  const retry = Number(response.headers.get("retry-after"));
  let body: ErrorBody = {};
  try {
    body = (await response.json()) as ErrorBody;
  } catch {
    // Not JSON (a proxy's page): the status says enough.
  }
  const error = body.error ?? {};
  return new GatewayFailure({
    status: response.status,
    message: typeof error.message === "string" ? error.message : `${response.status} ${response.statusText}`.trim(),
    type: typeof error.type === "string" ? error.type : null,
    code: typeof error.code === "string" ? error.code : null,
    retryAfter: Number.isFinite(retry) && retry > 0 ? retry : null,
    info: gatewayInfo(response.headers),
  });
}

function usageOf(raw: unknown): Usage | null {
  if (!raw || typeof raw !== "object") return null;
  const usage = raw as Record<string, unknown>;
  const number = (value: unknown) => (typeof value === "number" ? value : 0);
  return {
    promptTokens: number(usage.prompt_tokens),
    completionTokens: number(usage.completion_tokens),
    totalTokens: number(usage.total_tokens),
  };
}

interface Chunk {
  choices?: { delta?: { content?: unknown }; finish_reason?: unknown }[];
  usage?: unknown;
  error?: { message?: unknown; type?: unknown; code?: unknown };
}

export interface ChatRequest {
  apiKey: string;
  resource: string;
  messages: ChatMessage[];
  stream: boolean;
  maxTokens?: number | null;
  signal: AbortSignal;
  /** Each piece of text as it arrives (streams; a plain answer arrives in one piece). */
  onText: (text: string) => void;
  /** The response headers, as soon as they are in. */
  onInfo?: (info: GatewayInfo) => void;
}

/** Send the chat; throws GatewayFailure for the gateway's errors, DOMException on abort. */
export async function sendChat(request: ChatRequest): Promise<ChatResult> {
  const started = performance.now();
  const body: Record<string, unknown> = { model: request.resource, messages: request.messages };
  if (request.maxTokens) body.max_tokens = request.maxTokens;
  if (request.stream) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  let response: Response;
  try {
    response = await fetch("/v1/chat/completions", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: request.stream ? "text/event-stream" : "application/json",
        authorization: `Bearer ${request.apiKey}`,
      },
      body: JSON.stringify(body),
      // The data plane takes the key only; the admin session stays out of it.
      credentials: "omit",
      signal: request.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new GatewayFailure({ status: 0, message: "the gateway cannot be reached" });
  }
  if (!response.ok) throw await failure(response);
  const info = gatewayInfo(response.headers);
  request.onInfo?.(info);

  if (!request.stream || !response.body) {
    const answer = (await response.json()) as {
      choices?: { message?: { content?: unknown }; finish_reason?: unknown }[];
      usage?: unknown;
    };
    const choice = answer.choices?.[0];
    const text = typeof choice?.message?.content === "string" ? choice.message.content : "";
    request.onText(text);
    return {
      text,
      usage: usageOf(answer.usage),
      finishReason: typeof choice?.finish_reason === "string" ? choice.finish_reason : null,
      info,
      firstTokenMs: null,
      totalMs: performance.now() - started,
    };
  }

  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const sse = new SseReader();
  let text = "";
  let usage: Usage | null = null;
  let finishReason: string | null = null;
  let firstTokenMs: number | null = null;
  for (;;) {
    const { done, value } = await reader.read();
    const events = sse.feed(done ? decoder.decode() + "\n\n" : decoder.decode(value, { stream: true }));
    for (const data of events) {
      if (data.trim() === "[DONE]") continue;
      let chunk: Chunk;
      try {
        chunk = JSON.parse(data) as Chunk;
      } catch {
        continue;
      }
      if (chunk.error) {
        const error = chunk.error;
        throw new GatewayFailure({
          status: 200,
          message: typeof error.message === "string" ? error.message : "the stream failed",
          type: typeof error.type === "string" ? error.type : null,
          code: typeof error.code === "string" ? error.code : null,
          info,
          partial: text,
        });
      }
      for (const choice of chunk.choices ?? []) {
        const piece = choice.delta?.content;
        if (typeof piece === "string" && piece) {
          if (firstTokenMs === null) firstTokenMs = performance.now() - started;
          text += piece;
          request.onText(piece);
        }
        if (typeof choice.finish_reason === "string") finishReason = choice.finish_reason;
      }
      if (chunk.usage) usage = usageOf(chunk.usage);
    }
    if (done) break;
  }
  return { text, usage, finishReason, info, firstTokenMs, totalMs: performance.now() - started };
}
