// A QR code of a text as an SVG data: URL, for an <img> (the renderer's CSP allows data: images
// and no inline styles; the SVG has none).
import qrcode from 'qrcode-generator';

/** `text` as a QR code (error correction M, a 4-module quiet zone), black on white, scalable. */
export function qrSvgDataUrl(text: string): string {
  const qr = qrcode(0, 'M');
  qr.addData(text, 'Byte');
  qr.make();
  const svg = qr.createSvgTag({ cellSize: 4, margin: 16, scalable: true });
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

