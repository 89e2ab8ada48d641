import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ComposioError, composioFailureMessage } from '../composio/types';
import { isDatabaseUnavailable } from '../db/unavailable';
import { answerDatabaseUnavailable } from './database-unavailable';
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
    {
      400: 'bad_request',
      403: 'forbidden',
      404: 'not_found',
      409: 'conflict',
      413: 'too_large',
      415: 'unsupported_media_type',
      422: 'unprocessable',
      429: 'too_many_requests',
      503: 'unavailable',
    }[status] ?? 'error'
  );
}

export const notFound = (what = 'The page you asked for') => new HttpError(404, `${what} was not found.`);

export const pageNotFound: RequestHandler = (_req, _res, next) => next(notFound());

const titles: Record<number, string> = {
  400: 'That request could not be understood',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Conflict',
  413: 'Too large',
  415: 'That request could not be understood',
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
  } else if (isDatabaseUnavailable(error)) {
    req.log?.warn({ err: error }, 'database unavailable');
    if (!res.headersSent) answerDatabaseUnavailable(req, res);
    return;
  } else if (isClientError(error)) {
    ({ status, code, message } = describeClientError(error));
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

type ClientError = { status: number; type?: string; limit?: number };

/** Errors Express and its body parsers raise with a 4xx status: a malformed URL or body, too large. */
function isClientError(error: unknown): error is ClientError {
  if (typeof error !== 'object' || error === null || !('status' in error)) return false;
  const status = (error as { status: unknown }).status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

function describeClientError(error: ClientError): { status: number; code: string; message: string } {
  if (error instanceof URIError) {
    return { status: 400, code: 'bad_request', message: 'The address contains a malformed % escape. Check the link and try again.' };
  }
  switch (error.type) {
    case 'entity.too.large':
      return {
        status: 413,
        code: 'too_large',
        message: `The request is too large: send at most ${Math.floor((error.limit ?? 102400) / 1024)} kB.`,
      };
    case 'parameters.too.many':
      return { status: 413, code: 'too_large', message: 'The form has too many fields.' };
    case 'entity.parse.failed':
      return { status: 400, code: 'bad_request', message: 'The request body is not valid JSON.' };
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return {
        status: 415,
        code: 'unsupported_media_type',
        message: 'The request body uses a character set or encoding Switchboard does not read: send UTF-8.',
      };
    default:
      return { status: error.status, code: defaultCode(error.status), message: 'The request could not be read. Check it and try again.' };
  }
}
