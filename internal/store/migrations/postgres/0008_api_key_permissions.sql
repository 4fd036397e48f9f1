-- What each API key may do, space-separated (docs/mcp.md): existing keys
-- keep every endpoint they had ("all"), which does not include acting for
-- users over MCP ("mcp:act_as_user").
ALTER TABLE api_keys ADD COLUMN permissions TEXT NOT NULL DEFAULT 'all';
