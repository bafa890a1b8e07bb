// The API's objects as the gateway sends them (camelCase), read from the Python shapes in
// core/src/switchboard/api/*.py. Times are ISO 8601 strings. `...Create` / `...Update` are
// request bodies: in an update, a field left out stays as it is.

export type Iso8601 = string;

/** One page of a list: `GET ...?limit=50&offset=0`. */
export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

/** The error envelope every failure answers with. */
export interface ErrorEnvelope {
  error: { message: string; type: string; param: string | null; code: string | null };
}

// --- auth, users, roles ---------------------------------------------------------------

export type MemberRole = "owner" | "member";

export interface User {
  id: string;
  username: string;
  email: string;
  displayName: string;
  enabled: boolean;
  roles: string[];
  createdAt: Iso8601;
  updatedAt: Iso8601;
  /** Workspace name -> the user's role in it (only on `GET /auth/me`). */
  memberships?: Record<string, MemberRole> | null;
}

export interface LoginRequest {
  /** The username or the email address. */
  username: string;
  password: string;
}

export interface LoginResponse {
  user: User;
  csrfToken: string;
  expiresAt: Iso8601;
}

export interface PasswordChange {
  currentPassword: string;
  newPassword: string;
}

export interface UserCreate {
  username: string;
  email: string;
  displayName?: string;
  password?: string | null;
  enabled?: boolean;
  roles?: string[];
}

export interface UserUpdate {
  email?: string;
  displayName?: string;
  enabled?: boolean;
}

export interface PersonalToken {
  id: string;
  name: string;
  prefix: string;
  expiresAt: Iso8601 | null;
  lastUsedAt: Iso8601 | null;
  createdAt: Iso8601;
}

export interface PersonalTokenCreated {
  id: string;
  name: string;
  /** The secret (`sbp_...`): in this answer only. */
  token: string;
  prefix: string;
  expiresAt: Iso8601 | null;
  createdAt: Iso8601;
}

export type Effect = "ALLOW" | "DENY";

export interface PolicyStatement {
  effect: Effect;
  actions: string[];
  resources: string[];
}

export interface Role {
  id: string;
  name: string;
  description: string;
  statements: PolicyStatement[];
  builtin: boolean;
  createdAt: Iso8601;
  updatedAt: Iso8601;
}

export interface RoleCreate {
  name: string;
  description?: string;
  statements: PolicyStatement[];
}

export type RoleUpdate = Partial<RoleCreate>;

export interface RoleMember {
  id: string;
  username: string;
  email: string;
}

export interface SimulateRequest {
  /** id, username or email. */
  user: string;
  action: string;
  resource: string;
}

export interface StatementRef {
  role: string;
  index: number;
  effect: Effect;
}

export interface SimulateResponse {
  decision: Effect;
  /** Null for default deny or a rule that is no statement (workspace membership). */
  statement: StatementRef | null;
  reason: string;
}

/** `POST /auth/permissions`: the caller's own answers. */
export interface PermissionCheck {
  action: string;
  resource: string;
}

export interface PermissionAnswer extends PermissionCheck {
  decision: Effect;
}

// --- tenancy --------------------------------------------------------------------------

export interface Workspace {
  id: string;
  name: string;
  description: string;
  createdAt: Iso8601;
  updatedAt: Iso8601;
  /** The caller's membership, if any. */
  role?: MemberRole | null;
}

export interface WorkspaceCreate {
  name: string;
  description?: string;
}

export type WorkspaceUpdate = Partial<WorkspaceCreate>;

export interface Member {
  userId: string;
  username: string;
  email: string;
  role: MemberRole;
  createdAt: Iso8601;
}

export interface MemberAdd {
  /** id, username or email. */
  user: string;
  role?: MemberRole;
}

export type PayloadMode = "off" | "metadata" | "full";

export interface RecordingSettings {
  payload: PayloadMode;
  redactPaths: string[];
}

/** One plugin's selection in an environment. */
export interface PluginSelection {
  enabled?: boolean;
  settings?: Record<string, unknown>;
}

export interface Environment {
  id: string;
  workspaceId: string;
  workspace: string;
  name: string;
  description: string;
  plugins: Record<string, PluginSelection>;
  recording: RecordingSettings;
  createdAt: Iso8601;
  updatedAt: Iso8601;
}

export interface EnvironmentCreate {
  name: string;
  description?: string;
  plugins?: Record<string, PluginSelection>;
  recording?: Partial<RecordingSettings> | null;
}

export type EnvironmentUpdate = Partial<EnvironmentCreate>;

// --- capacity, models -----------------------------------------------------------------

export type Period = "minute" | "hour" | "day" | "week" | "month";

export interface CapacityEntry {
  period: Period;
  requests?: number | null;
  tokens?: number | null;
}

export interface ModelSpec {
  provider: string;
  model: string;
  connection?: string;
}

export interface DimensionUsage {
  limit: number;
  used: number | null;
  remaining: number | null;
}

export interface PeriodCapacity {
  period: Period;
  requests: DimensionUsage | null;
  tokens: DimensionUsage | null;
  resetSeconds: number | null;
}

export interface CapacityUsage {
  id: string;
  name: string;
  limiter: string | null;
  enforced: boolean;
  note: string | null;
  periods: PeriodCapacity[];
}

export interface DiscoveredLimits {
  requestsLimit?: number;
  requestsRemaining?: number;
  requestsResetSeconds?: number;
  requestsPeriod?: "minute" | "day";
  tokensLimit?: number;
  tokensRemaining?: number;
  tokensResetSeconds?: number;
  tokensPeriod?: "minute" | "day";
}

export interface DiscoveredUsage {
  model: string;
  announced: DiscoveredLimits;
  updatedAt: Iso8601 | null;
  enforced: boolean;
  periods: PeriodCapacity[] | null;
}

export interface ConnectionCapacityUsage extends CapacityUsage {
  discovered: DiscoveredUsage[];
}

// --- providers, connections -----------------------------------------------------------

/** A JSON Schema as the providers endpoint gives it. */
export type JsonSchema = Record<string, unknown>;

export interface ModelPrice {
  input: number;
  output: number;
  cachedInput?: number;
  longContext?: { aboveTokens: number; input: number; output: number; cachedInput?: number };
}

export interface PriceTable {
  models: Record<string, ModelPrice>;
  source: string;
  retrieved: string | null;
  currency: string;
  notes: string;
  ignorePrefixes: string[];
}

export interface Provider {
  name: string;
  displayName: string;
  plugin: string;
  settingsSchema: JsonSchema;
  credentialsSchema: JsonSchema;
  secretFields: string[];
  knownModels: string[];
  supportsEmbeddings: boolean;
  prices: PriceTable;
}

export interface Timeouts {
  connect: number;
  firstByte: number;
  total: number;
}

export interface Connection {
  id: string;
  name: string;
  description: string;
  provider: string;
  settings: Record<string, unknown>;
  /** Which credential fields are set (never their values). */
  credentialFields: string[];
  capacity: CapacityEntry[];
  /** Null: every model is allowed. */
  allowedModels: string[] | null;
  discoveredCapacity: Record<string, unknown>;
  enforceDiscoveredCapacity: boolean;
  timeouts: Timeouts;
  pricing: Record<string, ModelPrice>;
  secretBox: string | null;
  createdAt: Iso8601;
  updatedAt: Iso8601;
}

export interface ConnectionCreate {
  name: string;
  provider: string;
  description?: string;
  settings?: Record<string, unknown>;
  /** Write-only. */
  credentials?: Record<string, unknown>;
  capacity?: CapacityEntry[];
  allowedModels?: string[] | null;
  enforceDiscoveredCapacity?: boolean;
  timeouts?: Partial<Timeouts> | null;
  pricing?: Record<string, ModelPrice> | null;
}

/** `credentials`, when sent, replaces all credentials. */
export type ConnectionUpdate = Partial<Omit<ConnectionCreate, "provider">>;

export interface ConnectionTest {
  model?: string | null;
  prompt?: string;
}

export interface ConnectionTestResult {
  ok: boolean;
  model: string;
  latencyMs: number;
  answer?: string | null;
  errorClass?: string | null;
  status?: number | null;
  message?: string | null;
  discovered?: DiscoveredLimits | null;
}

// --- resources ------------------------------------------------------------------------

export interface RoutingCondition {
  description?: string;
  /** Clauses `{field, operator, value}` (AND), or an expression; see the README's Routing. */
  if?: unknown;
  then: ModelSpec;
  traffic?: number;
  [extra: string]: unknown;
}

export interface Routing {
  enabled?: boolean;
  conditions?: RoutingCondition[];
  [extra: string]: unknown;
}

export interface Resource {
  id: string;
  name: string;
  description: string;
  model: ModelSpec;
  routing: Routing | null;
  useFallback: boolean;
  fallbackModels: ModelSpec[];
  capacity: CapacityEntry[];
  enforceCapacity: boolean;
  maxQueueWaitMs: number | null;
  /** API key names. */
  assignApiKeys: string[];
  createdAt: Iso8601;
  updatedAt: Iso8601;
}

export interface ResourceCreate {
  name: string;
  model: ModelSpec;
  description?: string;
  routing?: Routing | null;
  useFallback?: boolean;
  fallbackModels?: ModelSpec[];
  capacity?: CapacityEntry[];
  enforceCapacity?: boolean;
  maxQueueWaitMs?: number | null;
  /** Key names or ids. */
  assignApiKeys?: string[];
}

export type ResourceUpdate = Partial<ResourceCreate>;

export interface ErrorRateSample {
  provider: string;
  model: string;
  rate: number;
  status?: string | number;
  connection?: string | null;
}

export interface DryRun {
  request: Record<string, unknown>;
  apiKey?: string | null;
  headers?: Record<string, string>;
  errorRates?: ErrorRateSample[];
}

export interface ChainStep {
  provider: string;
  model: string;
  connection: { id: string; name: string } | null;
  note?: string | null;
}

export interface DryRunResult {
  rule: string;
  blocked: boolean;
  message: string | null;
  events: string[];
  chain: ChainStep[];
}

// --- API keys -------------------------------------------------------------------------

export interface ApiKey {
  id: string;
  name: string;
  description: string;
  keyPrefix: string;
  maskedKey: string;
  enabled: boolean;
  expiresAt: Iso8601 | null;
  labels: string[];
  /** Names of the resources it may call. */
  resources: string[];
  capacity: CapacityEntry[];
  enforceCapacity: boolean;
  lastUsedAt: Iso8601 | null;
  previousKeyExpiresAt: Iso8601 | null;
  createdAt: Iso8601;
  updatedAt: Iso8601;
}

/** A key just created or rotated: `key` (`sk-sb-...`) is shown this once. */
export interface ApiKeyCreated extends ApiKey {
  key: string;
}

export interface ApiKeyCreate {
  name: string;
  description?: string;
  enabled?: boolean;
  expiresAt?: Iso8601 | null;
  labels?: string[];
  /** Resource names or ids. */
  resources?: string[];
  capacity?: CapacityEntry[];
  enforceCapacity?: boolean;
}

export type ApiKeyUpdate = Partial<ApiKeyCreate>;

export interface ApiKeyRotate {
  /** 0 to 604800. */
  gracePeriodSeconds?: number;
}

// --- usage ----------------------------------------------------------------------------

export type Granularity = "minute" | "hour" | "day" | "week" | "month";
export type UsageDimension =
  | "resource"
  | "provider"
  | "model"
  | "connection"
  | "apiKey"
  | "status"
  | "errorClass";
export type UsageMetric =
  | "requests"
  | "errors"
  | "errorRate"
  | "promptTokens"
  | "completionTokens"
  | "cachedTokens"
  | "totalTokens"
  | "latencyAvg"
  | "latencyP50"
  | "latencyP95"
  | "latencyP99"
  | "timeToFirstTokenAvg"
  | "timeToFirstTokenP50"
  | "timeToFirstTokenP95"
  | "gatewayLatencyAvg"
  | "estimatedCost";

/** An object as a record names it; either may be null. */
export interface RecordRef {
  id: string | null;
  name: string | null;
}

export interface RecordFilters {
  resource?: string[] | null;
  provider?: string[] | null;
  model?: string[] | null;
  connection?: string[] | null;
  apiKey?: string[] | null;
  status?: (string | number)[] | null;
  errorClass?: string[] | null;
}

export interface UsageQuery {
  from: Iso8601;
  to?: Iso8601 | null;
  granularity?: Granularity;
  groupBy?: UsageDimension[];
  metrics?: UsageMetric[];
  filters?: RecordFilters | null;
}

export interface UsageGroup {
  resource?: RecordRef;
  provider?: string | null;
  model?: string | null;
  connection?: RecordRef;
  apiKey?: RecordRef;
  status?: number;
  errorClass?: string | null;
}

/** Only the metrics asked for are present; averages and percentiles may be null. */
export type UsageMetrics = Partial<Record<UsageMetric, number | null>>;

export interface UsageRow {
  bucket: Iso8601;
  group: UsageGroup;
  metrics: UsageMetrics;
}

export interface UsageAnswer {
  from: Iso8601;
  to: Iso8601;
  granularity: Granularity;
  groupBy: UsageDimension[];
  metrics: UsageMetric[];
  rows: UsageRow[];
  totals: UsageMetrics;
}

// --- request audit (per environment) and management audit ------------------------------

export interface Attempt {
  provider: string;
  model: string;
  connection: RecordRef;
  outcome: string;
  status: number | null;
  errorClass: string | null;
  errorMessage: string | null;
  latencyMs: number;
  startedMs: number;
  capacityMs: number;
}

export interface RequestRecordSummary {
  id: string;
  requestId: string;
  createdAt: Iso8601;
  correlationId: string | null;
  traceId: string | null;
  endpoint: string | null;
  stream: boolean;
  resource: RecordRef;
  apiKey: RecordRef;
  connection: RecordRef;
  provider: string | null;
  model: string | null;
  route: string | null;
  status: number;
  errorClass: string | null;
  errorMessage: string | null;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  totalTokens: number;
  latencyMs: number | null;
  gatewayLatencyMs: number | null;
  timeToFirstTokenMs: number | null;
  estimatedCost: number | null;
  attemptCount: number;
}

export interface RequestRecordDetail extends RequestRecordSummary {
  workspace: RecordRef;
  environment: RecordRef;
  queueWaitMs: number | null;
  tokensPerSecond: number | null;
  clientIp: string | null;
  userAgent: string | null;
  attempts: Attempt[];
  routingEvents: string[];
  payload: Record<string, unknown> | null;
}

/** Request records are paged by cursor: `nextCursor` is null on the last page. */
export interface RequestRecordPage {
  items: RequestRecordSummary[];
  limit: number;
  nextCursor: string | null;
}

export interface AuditEvent {
  id: string;
  occurredAt: Iso8601;
  actorId: string | null;
  actorName: string;
  action: string;
  resource: string;
  workspaceId: string | null;
  environmentId: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  requestId: string | null;
}

// --- workspaces, environments, getting started ---------------------------------------

/** `GET .../environments/{env}/plugins`: an installed plugin as one environment sees it. */
export interface EnvironmentPlugin {
  name: string;
  description: string;
  version: string | null;
  enabledByDefault: boolean;
  /** On in this environment (listed and enabled, or not listed and on by default). */
  enabled: boolean;
  /** The settings the environment gives it ({} when none). */
  settings: Record<string, unknown>;
  /** The JSON Schema of its settings; null: it takes none. */
  settingsSchema: JsonSchema | null;
}
