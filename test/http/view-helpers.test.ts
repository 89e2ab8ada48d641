import { describeAudit, timeAgo } from '../../server/http/view-helpers';

const event = (action: string, target: string, details: Record<string, unknown> = {}) => describeAudit({ action, target, details });

describe('activity texts', () => {
  it('say what happened to which assistant, in words', () => {
    const named = { assistantName: 'Research Bot', integrationLabel: 'Calculator' };
    expect(event('assistant.integration_added', 'Calculator on Research Bot', named)).toBe('Added Calculator to Research Bot');
    expect(event('assistant.integration_removed', 'Calculator on Research Bot', named)).toBe('Removed Calculator from Research Bot');
    expect(event('assistant.integration_added', 'Tavily on Research Bot', { connection: 'Ops key' })).toBe(
      'Added Tavily to Research Bot using Ops key',
    );
  });

  it('say from which connection to which one a switch went; older rows without "from" still read', () => {
    expect(
      event('assistant.integration_switched', 'Tavily on Research Bot', {
        assistantName: 'Research Bot',
        integrationLabel: 'Tavily',
        from: 'Old key',
        connection: 'New key',
      }),
    ).toBe('Changed the connection of Tavily on Research Bot from Old key to New key');
    expect(event('assistant.integration_switched', 'Tavily on Research Bot', { connection: 'New key' })).toBe(
      'Changed the connection of Tavily on Research Bot to New key',
    );
    expect(event('assistant.integration_switched', 'Tavily on Research Bot')).toBe('Changed the connection of Tavily on Research Bot');
  });

  it('give every recorded action words, tokens and tool choices included', () => {
    expect(event('assistant.token_created', 'laptop on Research Bot', { token: 'laptop', assistantName: 'Research Bot' })).toBe(
      'Created the MCP token laptop for Research Bot',
    );
    expect(event('assistant.token_revoked', 'laptop on Research Bot')).toBe('Revoked the MCP token laptop of Research Bot');
    expect(event('assistant.tools_changed', 'Gmail on Research Bot', { allowed: ['a', 'b'], denied: ['c'] })).toBe(
      'Set the Gmail tools of Research Bot: 2 of 3 allowed',
    );
    expect(
      event('assistant.integrations_replaced', 'Research Bot', { added: ['Gmail'], removed: ['Tavily', 'Calculator'], switched: [] }),
    ).toBe('Saved the integrations of Research Bot: added Gmail; removed Tavily, Calculator');
    expect(event('something.new_here', 'X')).toBe('something new here: X');
  });

  it('name the action of every recordAudit call in the server', async () => {
    const { execFileSync } = await import('node:child_process');
    const source = execFileSync('grep', [
      '-rhoE',
      "'(assistant|connection|api_key|composio|settings)\\.[a-z_]+'",
      'server',
      'migrations',
    ]).toString();
    const actions = [...new Set(source.match(/'[a-z_]+\.[a-z_]+'/g)!.map((a) => a.slice(1, -1)))];
    expect(actions.length).toBeGreaterThan(15);
    // The fallback for an action without words starts with the action itself.
    const withoutWords = actions.filter((action) => event(action, 'X').startsWith(action.replace(/[._]+/g, ' ')));
    expect(withoutWords).toEqual([]);
  });
});

describe('timeAgo', () => {
  it('counts in words with the right plural', () => {
    const now = Date.parse('2026-01-10T12:00:00Z');
    expect(timeAgo(new Date(now - 30_000), now)).toBe('just now');
    expect(timeAgo(new Date(now - 60_000), now)).toBe('1 minute ago');
    expect(timeAgo(new Date(now - 3 * 3600_000), now)).toBe('3 hours ago');
    expect(timeAgo(new Date(now - 72 * 3600_000), now)).toBe('3 days ago');
  });
});
