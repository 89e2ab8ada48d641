/**
 * The Composio user id a team's tools run as: the team's own, or the server default the sync also
 * falls back to. The one place that decides it for MCP calls.
 */
export function composioUserIdOf(team: { composio_user_id: string | null }, defaultUserId: string): string {
  return team.composio_user_id ?? defaultUserId;
}
