"""A service calling another service with JWTs: a nightly report job (docs/modes/tokens.md, "a service").

The job runs as a service account: a user of the todo API made for it. Its refresh credential is that user's
session token, which an operator provisions once (``--sign-in``, the password from ``REPORT_JOB_PASSWORD``)
into a 0600 file the job owns (``REPORT_JOB_TOKEN_FILE``). Each run mints a JWT from it with
:class:`~examples.clients.token_client.TokenClient` (minted again a minute before ``exp``, or when a service
answers 401), reads the account's tasks from the todo API and posts a summary to the report API
(examples/clients/report_api.py), which verifies the JWT against the issuer's ``/jwks`` alone.

Each run uses the session, so it stays alive while the job runs at least every ``session.expires_in`` (7 days);
when it has ended (expired, signed out, revoked) the run fails with exit code 2 and the token file is
removed: the operator signs the account in again.

    export REPORT_JOB_AUTH_URL=http://localhost:8000 REPORT_JOB_REPORT_URL=http://localhost:8001
    REPORT_JOB_PASSWORD=... python -m examples.clients.service_client --sign-in report-bot@example.com
    python -m examples.clients.service_client            # the nightly run (cron, a Kubernetes CronJob...)
    python -m examples.clients.service_client --sign-out # decommission the account's session
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from .token_client import SignInRequired, TokenClient

__all__ = ["ReportJob", "SignInRequired"]


class ReportJob:
    """The nightly job: its JWTs come from a :class:`TokenClient` on the service account's session token.

    Args:
        auth_url: the todo API, which is also the issuer (``/api/auth``).
        report_url: the report API.
        token_file: the service account's session token (0600, owned by the job).
        http: the ``httpx.AsyncClient`` for every call (default: a new one with ``auth_url`` as base URL).
        clock: seconds since the epoch, for the refresh schedule.
    """

    def __init__(
        self,
        auth_url: str,
        report_url: str,
        token_file: Path,
        *,
        http: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.tokens = TokenClient(auth_url, token_file, http=http, clock=clock)
        self.report_url = report_url.rstrip("/")

    async def run(self) -> dict[str, Any]:
        """One run: the account's tasks from the todo API, a summary to the report API; the stored report.

        Raises:
            SignInRequired: the service account's session has ended.
            httpx.HTTPStatusError: a service refused the call.
        """
        listed = await self.tokens.request("GET", "/api/tasks")
        listed.raise_for_status()
        tasks = listed.json()
        done = sum(1 for task in tasks if task["completed"])
        summary = {"name": "nightly", "open_tasks": len(tasks) - done, "completed_tasks": done}
        # The same JWT at another service: an absolute URL, the same retry-once-on-401.
        posted = await self.tokens.request("POST", f"{self.report_url}/reports", json=summary)
        posted.raise_for_status()
        report: dict[str, Any] = posted.json()
        return report

    async def sign_in(self, email: str, password: str) -> None:
        """Provision the token file (an operator does this once, not the nightly run)."""
        await self.tokens.sign_in(email, password)

    async def sign_out(self) -> None:
        """End the account's session (decommissioning) and remove the token file."""
        await self.tokens.sign_out()

    async def aclose(self) -> None:
        await self.tokens.http.aclose()


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--auth-url", default=os.environ.get("REPORT_JOB_AUTH_URL", "http://localhost:8000"))
    parser.add_argument("--report-url", default=os.environ.get("REPORT_JOB_REPORT_URL", "http://localhost:8001"))
    default_file = os.environ.get("REPORT_JOB_TOKEN_FILE", "~/.config/report-job/session-token")
    parser.add_argument("--token-file", type=Path, default=Path(default_file))
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--sign-in", metavar="EMAIL", help="provision the token file (password: REPORT_JOB_PASSWORD)")
    action.add_argument("--sign-out", action="store_true", help="end the service account's session")
    args = parser.parse_args(argv)
    job = ReportJob(args.auth_url, args.report_url, args.token_file.expanduser())
    try:
        if args.sign_in:
            await job.sign_in(args.sign_in, os.environ["REPORT_JOB_PASSWORD"])
            print(f"signed in; session token in {args.token_file}")
        elif args.sign_out:
            await job.sign_out()
            print("signed out")
        else:
            report = await job.run()
            print(f"report {report['id']}: {report['open_tasks']} open, {report['completed_tasks']} completed")
    except SignInRequired as error:
        print(f"sign-in required ({error}): provision the token again with --sign-in", file=sys.stderr)
        return 2
    finally:
        await job.aclose()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
