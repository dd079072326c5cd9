// WebSocket text frames as a server writes them (RFC 6455 §5.2: FIN set, opcode 1, unmasked),
// encoded together so that a turn's frames (a push's acks: 500 at a time) reach the socket in
// one write. ws's send() costs about a microsecond more per frame than the bytes themselves:
// two writes to the stream and a header buffer each. The frames are the same bytes ws would
// write; the server sends this way only on connections without compression.

/** Header bytes of a frame with this payload length. */
function headerLength(payload: number): number {
  return payload <= 125 ? 2 : payload <= 0xffff ? 4 : 10;
}

/** The frames, in order, in one buffer: each text (or UTF-8 bytes) its own unfragmented text frame. */
export function encodeTextFrames(frames: ReadonlyArray<string | Buffer>): Buffer {
  const lengths = frames.map((f) => (typeof f === 'string' ? Buffer.byteLength(f) : f.length));
  let total = 0;
  for (const length of lengths) total += headerLength(length) + length;
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < frames.length; i++) {
    const frame = frames[i]!;
    const length = lengths[i]!;
    out[at++] = 0x81;
    if (length <= 125) out[at++] = length;
    else if (length <= 0xffff) {
      out[at++] = 126;
      at = out.writeUInt16BE(length, at);
    } else {
      out[at++] = 127;
      at = out.writeBigUInt64BE(BigInt(length), at);
    }
    at += typeof frame === 'string' ? out.write(frame, at, length, 'utf8') : frame.copy(out, at);
  }
  return out;
}
