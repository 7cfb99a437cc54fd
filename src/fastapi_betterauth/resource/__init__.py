"""Resource-server mode: verify what a Better Auth server (TypeScript or Python) issued, without issuing."""

from .jwt_verifier import JWKSState, JWKSUnavailableError, JWTVerifier
from .server import ResourceServer
from .session_verifier import SessionVerifier

__all__ = ["JWKSState", "JWKSUnavailableError", "JWTVerifier", "ResourceServer", "SessionVerifier"]
