import type { RequestHandler } from 'express';
import type { Config } from '../config';

const dateTime = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });

/** Small formatting helpers and page-wide values every template may use. */
export function setUpViewHelpers(config: Config): RequestHandler {
  return (req, res, next) => {
    res.locals.signedIn = Boolean(req.session?.userId);
    res.locals.demoMode = config.demoMode;
    res.locals.currentPath = req.path;
    res.locals.formatDate = (value: Date | string | null) => (value ? `${dateTime.format(new Date(value))} UTC` : '');
    res.locals.plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
    next();
  };
}
