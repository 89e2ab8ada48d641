import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ComposioError, composioFailureMessage } from '../composio/types';
import { wantsJson } from './negotiate';

/** An error a person can act on: its message is shown to them as it is. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string = defaultCode(status),
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

function defaultCode(status: number): string {
  return (
    { 400: 'bad_request', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 422: 'unprocessable', 429: 'too_many_requests', 503: 'unavailable' }[status] ??
    'error'
  );
}

export const notFound = (what = 'The page you asked for') => new HttpError(404, `${what} was not found.`);

export const pageNotFound: RequestHandler = (_req, _res, next) => next(notFound());

const titles: Record<number, string> = {
  400: 'That request could not be understood',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Conflict',
  422: 'Please check your input',
  429: 'Too many attempts',
  500: 'Something went wrong',
  503: 'Temporarily unavailable',
};

/** Known errors show their message; anything else is logged with the request id and shown calmly. */
export const errorHandler: ErrorRequestHandler = (error, req, res, _next) => {
  let status = 500;
  let code = 'internal_error';
  let message = 'Something went wrong on our side. It has been logged; please try again.';
  if (error instanceof HttpError) {
    ({ status, code, message } = error);
  } else if (error instanceof ComposioError) {
    // Composio's own answer, passed on as the API design asks: 500 with its message.
    code = 'composio_error';
    message = composioFailureMessage(error);
    req.log?.warn({ status: error.status, code: error.code }, 'Composio call failed');
  } else if (isBodyParserError(error)) {
    status = 400;
    code = 'bad_request';
    message = 'The request body could not be read.';
  } else {
    req.log?.error({ err: error }, 'request failed');
  }
  if (res.headersSent) return;
  res.status(status);
  if (wantsJson(req)) {
    res.json({ error: code, message, ...(error instanceof HttpError ? error.details : {}) });
    return;
  }
  res.render('error', { title: titles[status] ?? 'Error', status, message, requestId: req.id });
};

function isBodyParserError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'type' in error && 'status' in error && (error as { status: number }).status < 500;
}
