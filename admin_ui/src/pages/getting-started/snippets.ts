// Copy-paste snippets that call this gateway's data plane (OpenAI's wire format under /v1)
// with a new key: the resource's name is the `model`. Values are quoted for their language,
// since names may hold spaces, quotes or any unicode.

export interface SnippetValues {
  /** The gateway's origin as the browser reached it: `https://gateway.example.com`. */
  origin: string;
  /** The AI resource's name. */
  model: string;
  /** The API key's secret. */
  key: string;
}

export type SnippetId = "curl" | "python" | "node";

export interface Snippet {
  id: SnippetId;
  label: string;
  /** What to install or how to run it. */
  setup: string;
  code: string;
}

const GREETING = "Hello! Who are you?";

/** A single-quoted POSIX shell word. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** A double-quoted string literal valid in Python and JavaScript (JSON's escapes are both's). */
const literal = (text: string): string => JSON.stringify(text);

export function curlSnippet({ origin, model, key }: SnippetValues): string {
  const body = JSON.stringify({ model, messages: [{ role: "user", content: GREETING }] });
  return [
    `curl ${shellQuote(`${origin}/v1/chat/completions`)} \\`,
    `  -H ${shellQuote(`Authorization: Bearer ${key}`)} \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -d ${shellQuote(body)}`,
  ].join("\n");
}

export function pythonSnippet({ origin, model, key }: SnippetValues): string {
  return [
    "from openai import OpenAI",
    "",
    "client = OpenAI(",
    `    base_url=${literal(`${origin}/v1`)},`,
    `    api_key=${literal(key)},`,
    ")",
    "",
    "response = client.chat.completions.create(",
    `    model=${literal(model)},`,
    `    messages=[{"role": "user", "content": ${literal(GREETING)}}],`,
    ")",
    "print(response.choices[0].message.content)",
  ].join("\n");
}

export function nodeSnippet({ origin, model, key }: SnippetValues): string {
  return [
    'import OpenAI from "openai";',
    "",
    "const client = new OpenAI({",
    `  baseURL: ${literal(`${origin}/v1`)},`,
    `  apiKey: ${literal(key)},`,
    "});",
    "",
    "const response = await client.chat.completions.create({",
    `  model: ${literal(model)},`,
    `  messages: [{ role: "user", content: ${literal(GREETING)} }],`,
    "});",
    "console.log(response.choices[0].message.content);",
  ].join("\n");
}

export function snippets(values: SnippetValues): Snippet[] {
  return [
    { id: "curl", label: "curl", setup: "Run it in a terminal.", code: curlSnippet(values) },
    {
      id: "python",
      label: "Python",
      setup: "pip install openai, then run it with python.",
      code: pythonSnippet(values),
    },
    {
      id: "node",
      label: "Node.js",
      setup: "npm install openai, then save it as hello.mjs and run node hello.mjs.",
      code: nodeSnippet(values),
    },
  ];
}
