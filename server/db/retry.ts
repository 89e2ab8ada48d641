import { pgErrorCode } from './index';

/** Deadlock detected, serialization failure: PostgreSQL rolled the transaction back and it may run again. */
const RETRYABLE = new Set(['40P01', '40001']);

/**
 * Runs a whole transaction again, once, when PostgreSQL aborted it as a deadlock victim or for a
 * serialization failure. Only for transactions without side effects outside the database.
 */
export async function retryOnceOnConflict<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const code = pgErrorCode(error);
    if (!code || !RETRYABLE.has(code)) throw error;
    return run();
  }
}
