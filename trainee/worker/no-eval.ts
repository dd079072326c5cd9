/// <reference lib="webworker" />
// Imported first by the worker, before any zod schema is built: zod compiles object checks with
// `new Function` (and probes for it when a schema is made) unless told not to, and the app's CSP
// has no 'unsafe-eval' (even the caught probe is reported as a violation).
import { z } from 'zod';

z.config({ jitless: true });

// A violation is said on the console, where the app's end-to-end test (and a developer) looks.
(self as unknown as WorkerGlobalScope).addEventListener('securitypolicyviolation', (event: Event) => {
  const e = event as SecurityPolicyViolationEvent;
  console.error(`Content Security Policy violation in the worker: ${e.violatedDirective} ${e.blockedURI}`);
});
