import express, { Router } from 'express';
import type { Config } from '../config';
import type { Database } from '../db';
import type { Logger } from '../logger';
import { ComposioWebhookRejected, type ComposioGateway } from '../composio/types';
import { applyExpiredEvent, EXPIRED_EVENT } from './service';

// POST /webhooks/composio   Composio's signed deliveries (Standard Webhooks headers).
// Mounted before the body parsers, session and CSRF: the signature covers the raw body, and
// Composio has no session or CSRF token. The signature is the only way in.

/** Older (or newer) deliveries than this are refused: a captured delivery cannot be replayed later. */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

export function composioWebhookRoutes(deps: { config: Config; db: Database; logger: Logger; composio: ComposioGateway | null }): Router {
  const router = Router();

  router.post('/webhooks/composio', express.raw({ type: () => true, limit: '256kb' }), async (req, res) => {
    const secret = deps.config.composio.webhookSecret;
    if (!secret || !deps.composio) {
      return void res.status(404).json({
        error: 'webhooks_not_configured',
        message: 'Composio webhooks are not configured on this server (COMPOSIO_WEBHOOK_SECRET and COMPOSIO_API_KEY).',
      });
    }
    const header = (name: string) => req.get(name) ?? '';
    const payload = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
    let event;
    try {
      event = await deps.composio.verifyWebhook({
        id: header('webhook-id'),
        timestamp: header('webhook-timestamp'),
        signature: header('webhook-signature'),
        payload,
        secret,
        toleranceSeconds: WEBHOOK_TOLERANCE_SECONDS,
      });
    } catch (error) {
      if (!(error instanceof ComposioWebhookRejected)) throw error;
      req.log.warn({ reason: error.message }, 'Composio webhook rejected');
      return void res
        .status(401)
        .json({ error: 'invalid_signature', message: 'The webhook signature, id or timestamp is missing, wrong or too old.' });
    }

    if (event.type !== EXPIRED_EVENT) return void res.json({ received: true, result: 'ignored_type' });
    const accountId = typeof event.data.id === 'string' ? event.data.id : '';
    if (!accountId)
      return void res.status(400).json({ error: 'bad_request', message: 'The expired event names no connected account (data.id).' });
    const reason =
      typeof event.data.status_reason === 'string' && event.data.status_reason.trim()
        ? event.data.status_reason.trim().slice(0, 500)
        : null;
    const result = await applyExpiredEvent(deps.db, req.log, { webhookId: header('webhook-id'), accountId, reason });
    res.json({ received: true, result });
  });

  return router;
}
