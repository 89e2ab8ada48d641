import helmet from 'helmet';
import type { RequestHandler } from 'express';

/**
 * Strict CSP: scripts and styles only from this origin, no inline code, no eval. HSTS in
 * production (browsers honour it only over HTTPS, so plain-HTTP set-ups keep working).
 */
export function setUpSecurityHeaders(production: boolean): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
      },
    },
    strictTransportSecurity: production,
  });
}
