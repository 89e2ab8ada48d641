// csrf-sync ships types, but its package "exports" hides them from node16 module resolution.
// This declares the part of its API that server/http/csrf.ts uses.
declare module 'csrf-sync' {
  import type { Request } from 'express';
  export interface CsrfSyncOptions {
    getTokenFromRequest?: (req: Request) => string | undefined;
    size?: number;
  }
  export function csrfSync(options?: CsrfSyncOptions): {
    isRequestValid: (req: Request) => boolean;
    generateToken: (req: Request, overwrite?: boolean) => string;
  };
}
