// compression ships no types; this declares the part server/app.ts uses.
declare module 'compression' {
  import type { RequestHandler } from 'express';
  import type { BrotliOptions } from 'node:zlib';
  export default function compression(options?: {
    threshold?: number | string;
    /** gzip and deflate's level (zlib's 0-9). */
    level?: number;
    brotli?: BrotliOptions;
  }): RequestHandler;
}
