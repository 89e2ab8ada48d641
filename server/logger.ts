import pino from 'pino';

export type Logger = pino.Logger;

/** Structured logs. Secrets are redacted by path so a careless log call cannot leak them. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: {
        paths: [
          'password', '*.password', 'secret', '*.secret', 'apiKey', '*.apiKey', 'api_key', '*.api_key',
          'req.headers.cookie', 'req.headers.authorization', 'req.headers["x-csrf-token"]', 'res.headers["set-cookie"]',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
