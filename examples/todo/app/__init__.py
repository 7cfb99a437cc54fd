"""The todo API of seed 002: per-user tasks behind fastapi-betterauth."""
