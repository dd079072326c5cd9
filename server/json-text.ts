// JSON text written directly where the server writes it per op, byte for byte JSON.stringify's.

/** Characters JSON.stringify writes escaped (surrogates: only lone ones, but any sends it there). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * JSON.stringify of a value that is not an object, `null` where it gives undefined: the same
 * text, without a JSON.stringify call (about 0.3 µs each) for plain strings and numbers. An op's
 * content has a dozen of them.
 */
export function jsonScalar(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return NEEDS_ESCAPE.test(v) ? JSON.stringify(v) : `"${v}"`;
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      return JSON.stringify(v) ?? 'null';
  }
}
