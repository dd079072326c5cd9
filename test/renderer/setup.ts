// A browser-like global environment for renderer tests: jsdom's window, document and DOM
// classes on globalThis, and React's act() environment flag. Import this first.
import { JSDOM } from 'jsdom';

const dom = new JSDOM('<!doctype html><html><body></body></html>', { url: 'http://127.0.0.1/', pretendToBeVisual: true });
const { window } = dom;
const g = globalThis as Record<string, unknown>;

// Everything jsdom defines that Node does not (HTMLElement, KeyboardEvent, getComputedStyle, …).
for (const key of Object.getOwnPropertyNames(window)) {
  if (key in g || key.startsWith('_')) continue;
  try {
    g[key] = (window as unknown as Record<string, unknown>)[key];
  } catch {
    // some accessors throw outside a window; they are not needed
  }
}
// DOM events must be jsdom's own, whatever Node defines.
for (const key of ['window', 'document', 'navigator', 'Event', 'EventTarget', 'CustomEvent', 'KeyboardEvent', 'MouseEvent', 'FocusEvent', 'InputEvent', 'UIEvent', 'Node', 'HTMLElement', 'requestAnimationFrame', 'cancelAnimationFrame']) {
  Object.defineProperty(g, key, { value: key === 'window' ? window : (window as unknown as Record<string, unknown>)[key], configurable: true, writable: true });
}
g.IS_REACT_ACT_ENVIRONMENT = true;

export { dom };
