// Imported first by the renderer's entry, before any module defines a schema: the page's CSP
// forbids eval, so zod cannot compile its parsers here anyway, and `jitless` skips its probe
// (a caught `new Function`, made when the first object schema is defined), which Chromium
// would still report as a CSP violation.
import { z } from 'zod';

z.config({ jitless: true });
