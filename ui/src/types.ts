// The shapes of the API's JSON (docs/api.md). Optional fields are ones the
// server may not send yet: the UI shows them when they are there.

export type Role = 'admin' | 'developer' | 'viewer' | 'operator';

export interface TenantRef {
  id: string;
  slug: string;
  name: string;
}

export interface Me {
  operator: boolean;
  role: Role;
  tenant: TenantRef | null;
}

export interface Tenant extends TenantRef {
  createdAt: string;
}

export type ScriptType = 'http' | 'event' | 'scheduled' | 'manual' | 'embedded';
export type ScriptStatus = 'draft' | 'active' | 'paused' | 'disabled' | 'archived';
export type Language = 'typescript' | 'javascript';

export const scriptTypes: ScriptType[] = ['http', 'event', 'scheduled', 'manual', 'embedded'];
export const scriptStatuses: ScriptStatus[] = ['draft', 'active', 'paused', 'disabled', 'archived'];

export interface Trigger {
  http?: { path: string; methods: string[] };
  events?: string[];
  cron?: { expression: string; timezone?: string };
  /** How failed event deliveries retry; absent means the server's default. */
  retry?: { retries: number; backoffMs: number[] };
}

export interface Limits {
  timeoutMs?: number;
  memoryBytes?: number;
  maxConcurrent?: number;
  hostCallsPerMinute?: number;
  outputBytes?: number;
}

export interface Script {
  id: string;
  tenantId: string;
  name: string;
  description: string;
  type: ScriptType;
  status: ScriptStatus;
  language: Language;
  trigger: Trigger;
  limits: Limits;
  version: number;
  createdAt: string;
  updatedAt: string;
  source?: string;
  /** The next run times of a scheduled script, when the server computes them. */
  nextRuns?: string[];
  /** The latest execution, when the server includes it in the list. */
  lastExecution?: Execution;
}

export interface Version {
  id: string;
  scriptId: string;
  version: number;
  source?: string;
  changeDescription: string;
  createdBy: string;
  createdAt: string;
}

export type ExecutionStatus = 'pending' | 'running' | 'completed' | 'failed' | 'timeout' | 'cancelled';
export const executionStatuses: ExecutionStatus[] = ['pending', 'running', 'completed', 'failed', 'timeout', 'cancelled'];
export const triggers = ['http', 'event', 'cron', 'manual', 'embedded'] as const;

export interface LogLine {
  time: string;
  level: string;
  message: string;
  fields?: Record<string, unknown>;
}

export interface Execution {
  id: string;
  tenantId: string;
  scriptId: string;
  version: number;
  trigger: string;
  status: ExecutionStatus;
  input?: unknown;
  output?: unknown;
  error?: { code: string; message: string; position?: string; stack?: string };
  logs?: LogLine[];
  logsTruncated?: boolean;
  durationMs: number;
  hostCalls: number;
  memoryBytes: number;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
}

export function finished(s: ExecutionStatus): boolean {
  return s !== 'pending' && s !== 'running';
}

export type DeadLetterStatus = 'dead' | 'replayed' | 'discarded';

export interface DeadLetter {
  id: string;
  eventId: string;
  eventType: string;
  payload: unknown;
  scriptId: string;
  scriptName: string;
  version: number;
  attempts: { attempt: number; at: string; error?: { code: string; message: string } | null; executionId?: string }[];
  createdAt: string;
  status: DeadLetterStatus;
  /** The delivery a replay started. */
  replayDeliveryId?: string;
}

/** What the role may do inside a tenant. */
export function can(role: Role | undefined, need: 'viewer' | 'developer' | 'admin'): boolean {
  const rank: Record<string, number> = { viewer: 1, developer: 2, admin: 3, operator: 3 };
  return (rank[role ?? ''] ?? 0) >= rank[need];
}
