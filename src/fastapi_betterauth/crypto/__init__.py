"""Pure cryptographic functions: synchronous, no I/O, pinned to Better Auth by known-answer vectors."""
