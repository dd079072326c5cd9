import { z } from 'zod';
import { ENTITIES, describeIssue, isEntity, isPlainObject, isUuid, uuid, type Entity, type Fields } from './entities.ts';

export const PROTOCOL_VERSION = 1;
export const MAX_FRAME_BYTES = 1024 * 1024;
export const MAX_OPS_PER_PUSH = 500;

export type Action = 'put' | 'patch' | 'delete';
export type Role = 'coach' | 'trainee';
export type AckStatus = 'applied' | 'partial' | 'superseded' | 'rejected';

/** Stable reason codes an ack can carry. */
export type Reason =
  | 'coach-edit-wins'
  | 'trainee-log-wins'
  | 'last-write-wins'
  | 'deleted'
  | 'forbidden'
  | 'invalid'
  | 'unknown_row'
  | 'idempotency_key_reused'
  | 'seq_reused'
  | 'internal';

export interface Op {
  key: string;
  seq: number;
  at: string;
  entity: Entity;
  id: string;
  action: Action;
  fields: Fields;
  baseVersion: number;
}

export interface Row {
  entity: Entity;
  id: string;
  version: number;
  deleted: boolean;
  fields: Fields;
  by: string;
}

export interface Ack {
  type: 'ack';
  key: string;
  seq: number;
  status: AckStatus;
  version?: number;
  dropped?: string[];
  reason?: Reason;
  message?: string;
  replay: boolean;
}

export type ErrorCode = 'bad_message' | 'unauthorized' | 'out_of_order' | 'unavailable';

export type ServerMessage =
  | { type: 'welcome'; userId: string; role: Role; nextSeq: number; serverVersion: number }
  | { type: 'changes'; to: number; rows: Row[] }
  | { type: 'synced'; version: number }
  | Ack
  | { type: 'error'; code: ErrorCode; message?: string; expectedSeq?: number }
  | ResponseFrame;

export type ClientMessage =
  | { type: 'hello'; protocol: number; token: string; clientId: string; lastVersion: number }
  | { type: 'push'; ops: Op[] }
  | { type: 'pull'; since: number }
  | RequestFrame;

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const isoInstant = z
  .string()
  .regex(ISO_INSTANT, 'must be an ISO 8601 time')
  .refine((s) => !Number.isNaN(Date.parse(s)), 'must be a real time');
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const helloSchema = z.object({
  type: z.literal('hello'),
  protocol: z.number().int(),
  token: z.string().min(1).max(512),
  clientId: z.string().min(1).max(128),
  lastVersion: count,
});

/**
 * The frame-level shape of a push: enough to answer each op by key and seq. Everything else
 * about an op is checked one op at a time, so one bad op is acked `rejected` instead of
 * throwing away the whole frame.
 */
export const pushSchema = z.object({
  type: z.literal('push'),
  ops: z
    .array(z.looseObject({ key: z.string().min(1).max(128), seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER) }))
    .min(1, 'a push carries at least one op')
    .max(MAX_OPS_PER_PUSH, `a push carries at most ${MAX_OPS_PER_PUSH} ops`),
});

export const pullSchema = z.object({ type: z.literal('pull'), since: count });

// Fast verdicts for the server's hot path. Each is true only for input its zod schema accepts
// (a string is measured in UTF-16 units, which never exceed code points), so a caller that
// finds false asks the schema, whose issue names what is wrong. Parsing with zod copies every
// op of a push; these read them in place.

const isSafeCount = (v: unknown, min: number): v is number => Number.isSafeInteger(v) && (v as number) >= min;
const isShortString = (v: unknown, max: number): v is string => typeof v === 'string' && v.length >= 1 && v.length <= max;

/** True when pushSchema accepts the frame as it is. */
export function pushFramePasses(value: Record<string, unknown>): boolean {
  const ops = value.ops;
  if (value.type !== 'push' || !Array.isArray(ops) || ops.length < 1 || ops.length > MAX_OPS_PER_PUSH) return false;
  for (const op of ops) if (!isPlainObject(op) || !isShortString(op.key, 128) || !isSafeCount(op.seq, 1)) return false;
  return true;
}

const OP_KEYS = new Set(['key', 'seq', 'at', 'entity', 'id', 'action', 'fields', 'baseVersion']);

/** True when opSchema accepts the op as it is (its fields are checked by their entity apart). */
export function opEnvelopePasses(value: unknown): value is Op {
  if (!isPlainObject(value)) return false;
  for (const key in value) if (!OP_KEYS.has(key)) return false;
  const { key, seq, at, entity, id, action, fields, baseVersion } = value;
  return (
    isShortString(key, 128) &&
    isSafeCount(seq, 1) &&
    typeof at === 'string' &&
    ISO_INSTANT.test(at) &&
    !Number.isNaN(Date.parse(at)) &&
    isEntity(entity) &&
    isUuid(id) &&
    (action === 'put' || action === 'patch' || action === 'delete') &&
    (fields === undefined || isPlainObject(fields)) &&
    isSafeCount(baseVersion, 0)
  );
}

export const opSchema = z.strictObject({
  key: z.string().min(1).max(128),
  seq: z.number().int().min(1),
  at: isoInstant,
  entity: z.enum(ENTITIES as [Entity, ...Entity[]]),
  id: uuid,
  action: z.enum(['put', 'patch', 'delete']),
  fields: z.record(z.string(), z.unknown()).optional(),
  baseVersion: count,
});

export type ParsedFrame =
  | { ok: true; message: z.infer<typeof helloSchema> | z.infer<typeof pushSchema> | z.infer<typeof pullSchema> | z.infer<typeof requestSchema> }
  | { ok: false; message: string };

/** Parses one text frame from a client. Never throws. */
export function parseClientFrame(text: string): ParsedFrame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, message: 'frame is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, message: 'frame must be a JSON object' };
  }
  const type = (value as { type?: unknown }).type;
  const schema =
    type === 'hello' ? helloSchema : type === 'push' ? pushSchema : type === 'pull' ? pullSchema : type === 'request' ? requestSchema : undefined;
  if (!schema) {
    return { ok: false, message: typeof type === 'string' ? `unknown message type "${type.slice(0, 40)}"` : 'frame has no "type"' };
  }
  if (schema === pushSchema && pushFramePasses(value as Record<string, unknown>)) {
    return { ok: true, message: { type: 'push', ops: (value as { ops: z.infer<typeof pushSchema>['ops'] }).ops } };
  }
  const parsed = schema.safeParse(value, { reportInput: true });
  if (!parsed.success) return { ok: false, message: `${type}: ${describeIssues(parsed.error)}` };
  return { ok: true, message: parsed.data };
}

export function describeIssues(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? describeIssue('', issue) : 'invalid';
}

// ---------------------------------------------------------------------------------------------
// Requests (addition to the contract): a client asks, the server answers once, by requestId.
// Used by the coach for invites and device access; see docs/protocol.md.

export type RequestMethod = 'invite.create' | 'access.list' | 'access.revoke';
export const REQUEST_METHODS: readonly RequestMethod[] = ['invite.create', 'access.list', 'access.revoke'];
/** `unavailable`: a passing failure of the server (its database busy, say); try again later. */
export type RequestErrorCode = 'forbidden' | 'invalid' | 'not_found' | 'unavailable';

export interface RequestFrame {
  type: 'request';
  requestId: string;
  method: RequestMethod;
  params: Record<string, unknown>;
}

export interface InviteCreated {
  /** The join code (shown once: the server keeps only its hash). */
  code: string;
  /** `<base>/join#<code>`: the code travels in the fragment, never to a server's logs. */
  url: string;
  expiresAt: string;
}

export interface TraineeAccess {
  traineeId: string;
  /** The newest pending (unused, unexpired, not cancelled) invite, if any. */
  invite: { createdAt: string; expiresAt: string } | null;
  /** Active (unrevoked) device tokens. */
  devices: number;
  /** When a device of this trainee was last connected (ISO time), or null if never. */
  lastSeenAt: string | null;
}

export interface AccessList {
  trainees: TraineeAccess[];
}

export interface AccessRevoked {
  revokedTokens: number;
  cancelledInvites: number;
}

export interface RequestValues {
  'invite.create': InviteCreated;
  'access.list': AccessList;
  'access.revoke': AccessRevoked;
}

export type ResponseFrame =
  | { type: 'response'; requestId: string; ok: true; value: unknown }
  | { type: 'response'; requestId: string; ok: false; error: { code: RequestErrorCode; message: string } };

/**
 * The frame-level shape of a request: enough to answer it by requestId. The method and its
 * params are checked by the server, which answers `invalid` naming what is wrong.
 */
export const requestSchema = z.object({
  type: z.literal('request'),
  requestId: z.string().min(1).max(128),
  method: z.string().min(1).max(64),
  params: z.unknown().optional(),
});

/** Params of each method (unknown keys are ignored). */
export const requestParamsSchemas = {
  'invite.create': z.object({ traineeId: uuid }),
  'access.list': z.object({}),
  'access.revoke': z.object({ traineeId: uuid }),
} as const satisfies Record<RequestMethod, z.ZodType>;

export const inviteCreatedSchema = z.object({ code: z.string(), url: z.string(), expiresAt: isoInstant });
export const accessListSchema = z.object({
  trainees: z.array(
    z.object({
      traineeId: z.string(),
      invite: z.object({ createdAt: isoInstant, expiresAt: isoInstant }).nullable(),
      devices: count,
      lastSeenAt: isoInstant.nullable(),
    }),
  ),
});
export const accessRevokedSchema = z.object({ revokedTokens: count, cancelledInvites: count });

export const responseSchema = z.union([
  z.object({ type: z.literal('response'), requestId: z.string(), ok: z.literal(true), value: z.unknown() }),
  z.object({
    type: z.literal('response'),
    requestId: z.string(),
    ok: z.literal(false),
    error: z.object({ code: z.enum(['forbidden', 'invalid', 'not_found', 'unavailable']), message: z.string() }),
  }),
]);

// ---------------------------------------------------------------------------------------------
// Joining by invite over HTTP (addition): POST /api/join on the sync server's host and port.

export const JOIN_PATH = '/api/join';
/** Bytes a join request body may have. */
export const MAX_JOIN_BODY_BYTES = 4096;
/** How long an invite stays valid. */
export const INVITE_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export interface JoinRequest {
  code: string;
}

export interface JoinResponse {
  /** The trainee's user id (the id of their trainee row). */
  userId: string;
  /** A new device token for this device only; say it in `hello`. */
  token: string;
}

export type JoinErrorCode =
  | 'bad_request'
  | 'unknown'
  | 'used'
  | 'expired'
  | 'cancelled'
  | 'too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'method_not_allowed'
  | 'unavailable';

export interface JoinError {
  error: JoinErrorCode;
  message: string;
}
