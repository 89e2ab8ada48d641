'use strict';
/**
 * The baseline of `npm run bench`: a bare Express 5 + pg + EJS app, no session, no transaction,
 * no row-level security. One query returns the same catalog rows as the assistant integrations
 * page (each integration, whether the assistant has it, the connection it uses, how many usable
 * connections it could use) and one template renders a page of similar size.
 * Usage: DATABASE_URL=... PORT=... node bench/bare-app.js
 */
const path = require('node:path');
const express = require('express');
const pg = require('pg');

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const app = express();
app.set('views', __dirname);
app.set('view engine', 'ejs');
app.set('view cache', true);
app.set('x-powered-by', false);

const CATALOG = `
  WITH counts AS (
    SELECT integration_id, 'api_key' AS kind, count(*) AS n FROM api_key_connections WHERE team_id = $1 GROUP BY integration_id
    UNION ALL
    SELECT integration_id, 'oauth2', count(*) FROM oauth2_connections
     WHERE team_id = $1 AND enabled AND revoked_at IS NULL AND disconnected_at IS NULL AND composio_status = 'ACTIVE' AND NOT composio_disabled
     GROUP BY integration_id)
  SELECT i.id, i.slug, i.label, i.icon, i.category, i.description, i.required, i.auth, pi.id AS added_id,
         coalesce(a.label, coalesce(o.account_identity, i.label || ' account')) AS connection_label,
         coalesce((SELECT sum(c.n) FROM counts c WHERE c.integration_id = i.id AND (i.auth = 'api_key_or_oauth2' OR i.auth = c.kind)), 0)::int AS connection_count
    FROM integrations i
    LEFT JOIN assistant_integrations pi ON pi.integration_id = i.id AND pi.assistant_id = $2 AND pi.team_id = $1
    LEFT JOIN api_key_connections a ON a.id = pi.api_connection_id
    LEFT JOIN oauth2_connections o ON o.id = pi.oauth2_connection_id
   ORDER BY i.category_position, i.position, i.id`;

app.get('/bare/:teamId/:assistantId', async (req, res) => {
  const { rows } = await pool.query(CATALOG, [Number(req.params.teamId), Number(req.params.assistantId)]);
  const groups = [];
  for (const row of rows) {
    if (groups.length === 0 || groups[groups.length - 1].category !== row.category) groups.push({ category: row.category, items: [] });
    groups[groups.length - 1].items.push(row);
  }
  res.render('bare-page', { groups, pageUrl: req.path });
});
app.use('/static', express.static(path.join(__dirname, '..', 'public')));

const server = app.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
process.on('SIGTERM', () => server.close(() => pool.end().then(() => process.exit(0))));
