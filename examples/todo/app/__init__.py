"""A todo API for a Next.js frontend: per-user tasks behind fastapi-betterauth."""
