// csrf-sync ships types, but its package "exports" hides them from node16 module resolution.
// This declares the part of its API that server/http/csrf.ts uses.
declare module 'csrf-sync' {
  import type { NextFunction, Request, Response } from 'express';
  export interface CsrfSyncOptions {
    getTokenFromRequest?: (req: Request) => string | undefined;
  }
  export function csrfSync(options?: CsrfSyncOptions): {
    csrfSynchronisedProtection: (req: Request, res: Response, next: NextFunction) => void;
    generateToken: (req: Request, overwrite?: boolean) => string;
  };
}
