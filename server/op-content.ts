// The content an idempotency key stands for, and its hash: an op's fields with sorted keys,
// its seq left out. Ledger hashes are compared byte for byte, so this never changes.
import { hash } from 'node:crypto';
import { jsonScalar } from './json-text.ts';

/** JSON with sorted keys. Below 16 levels (valid ops have 3) it stops: such ops are invalid anyway. */
export function stableStringify(value: unknown, depth = 0): string {
  if (depth > 16) return '"…"';
  if (Array.isArray(value)) return `[${value.map((v) => stableStringify(v, depth + 1)).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify((value as Record<string, unknown>)[k], depth + 1)}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const OP_KEYS = new Set(['key', 'seq', 'at', 'entity', 'id', 'action', 'fields', 'baseVersion']);

/**
 * stableStringify of an op's content for the usual shape (the op's own keys, flat fields),
 * without sorting the op's keys or recursing; undefined for any other shape. Its output is
 * byte for byte the generic one: ledger hashes stored before it still match.
 */
function plainOpContent(raw: Record<string, unknown>): string | undefined {
  const keys = Object.keys(raw);
  if (keys.length !== OP_KEYS.size) return undefined;
  for (const k of keys) if (!OP_KEYS.has(k)) return undefined;
  const fields = raw.fields;
  if (!fields || typeof fields !== 'object' || Array.isArray(fields)) return undefined;
  let f = '';
  for (const k of Object.keys(fields).sort()) {
    const v = (fields as Record<string, unknown>)[k];
    if (v !== null && typeof v === 'object') return undefined;
    f += `${f ? ',' : ''}${jsonScalar(k)}:${jsonScalar(v)}`;
  }
  return `{"action":${leaf(raw.action)},"at":${leaf(raw.at)},"baseVersion":${leaf(raw.baseVersion)},"entity":${leaf(raw.entity)},"fields":{${f}},"id":${leaf(raw.id)},"key":${leaf(raw.key)}}`;
}

/** One of an op's own values in stableStringify's form. */
function leaf(v: unknown): string {
  return v !== null && typeof v === 'object' ? stableStringify(v, 1) : jsonScalar(v);
}

/** The content of an op that its idempotency key stands for (everything but its seq). */
export function opContentHash(raw: Record<string, unknown>): string {
  // One-shot: a Hash object per op cost more than the digest of its few hundred bytes.
  return hash('sha256', opContent(raw), 'base64url');
}

export function opContent(raw: Record<string, unknown>): string {
  const plain = plainOpContent(raw);
  if (plain !== undefined) return plain;
  const { seq: _seq, ...content } = raw;
  return stableStringify(content);
}
