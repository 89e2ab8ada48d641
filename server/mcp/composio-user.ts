/**
 * The Composio user id a team's tools run as: the one the team owns (unique to it, never a
 * server-wide default; docs/decisions/013). The one place that decides it for MCP calls.
 */
export function composioUserIdOf(team: { composio_user_id: string }): string {
  return team.composio_user_id;
}
