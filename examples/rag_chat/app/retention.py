"""Retention: purge conversations not updated for N days, as a command and as an in-process periodic task.

python -m examples.rag_chat.app.retention --days 30 [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from fastapi_betterauth import create_engine, redacted_traceback

from .store import purge_older_than

logger = logging.getLogger("rag_chat.retention")


async def purge_periodically(engine: AsyncEngine, days: float, interval: float) -> None:
    """Purge now, then every ``interval`` seconds, until cancelled; a failed run is logged and retried."""
    while True:
        try:
            purged = await purge_older_than(engine, days)
            if purged:
                logger.info("retention: purged %d conversations older than %s days", purged, days)
        except Exception as error:  # a database hiccup must not end the task
            logger.error("retention purge failed; retrying in %s s\n%s", interval, redacted_traceback(error))
        await asyncio.sleep(interval)


async def _run(url: str, days: float) -> int:
    engine = create_engine(url)
    try:
        return await purge_older_than(engine, days)
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Delete conversations not updated for --days days.")
    parser.add_argument("--days", type=float, default=float(os.environ.get("RAG_RETENTION_DAYS", "30")))
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", "sqlite+aiosqlite:///./rag-chat.db"))
    args = parser.parse_args(argv)
    if args.days <= 0:
        parser.error("--days must be positive")
    purged = asyncio.run(_run(args.database_url, args.days))
    print(f"purged {purged} conversations older than {args.days:g} days")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
