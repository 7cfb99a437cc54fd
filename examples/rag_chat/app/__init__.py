"""The RAG-chat API of seed 004: conversations with retrieval, behind fastapi-betterauth."""
