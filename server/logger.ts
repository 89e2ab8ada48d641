import pino from 'pino';

export type Logger = pino.Logger;

/** Structured logs. Secrets are redacted by path so a careless log call cannot leak them. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: {
        paths: [
          'password',
          '*.password',
          'secret',
          '*.secret',
          'apiKey',
          '*.apiKey',
          'api_key',
          '*.api_key',
          'req.headers.cookie',
          'req.headers.authorization',
          'req.headers["x-csrf-token"]',
          'res.headers["set-cookie"]',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

/**
 * LOG_FORMAT=pretty (the default of `npm run dev` and `npm run demo`): one readable line per entry instead of JSON. pino-pretty is a
 * devDependency, so it is required here, only when asked for; an install without it (production)
 * keeps JSON lines and says why.
 */
export function developmentDestination(warn: (msg: string) => void, output?: NodeJS.WritableStream): pino.DestinationStream | undefined {
  let pretty: typeof import('pino-pretty');
  try {
    pretty = require('pino-pretty') as typeof import('pino-pretty');
  } catch {
    warn('LOG_FORMAT is pretty but pino-pretty is not installed (it is a devDependency): logs stay JSON lines.');
    return undefined;
  }
  return pretty.build({
    translateTime: 'SYS:HH:MM:ss',
    // A request reads as "GET /app 200 12 ms"; its fields are then not repeated after it.
    messageFormat: (log, messageKey) =>
      log[messageKey] === 'request'
        ? `${String(log.method)} ${String(log.path)} ${String(log.status)} ${String(log.ms)} ms`
        : String(log[messageKey] ?? ''),
    ignore: 'pid,hostname,requestId,method,path,status,ms',
    singleLine: true,
    sync: true,
    ...(output ? { destination: output } : {}),
  });
}
