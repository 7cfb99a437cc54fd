"""Example clients of a fastapi-betterauth API (see docs/modes/tokens.md)."""
