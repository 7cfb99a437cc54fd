"""A per-user RAG-chat API: conversations with retrieval, behind fastapi-betterauth."""
