"""JWT and JWK primitives: the only module that imports a JOSE library (PyJWT + cryptography; libsodium signs Ed25519).

Better Auth signs with ``jose``; the formats that matter on the wire (protected header without
``typ``, claim order, JWK member names) are reproduced here so tokens and keys cross between the
two servers.
"""

from __future__ import annotations

import base64
import functools
import json
import re
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

import jwt as pyjwt
import orjson
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm, RSAPSSAlgorithm
from jwt.warnings import InsecureKeyLengthWarning
from nacl.bindings import crypto_sign, crypto_sign_seed_keypair

from .._json_text import utf8
from ..errors import CryptoError

ASYMMETRIC_ALGORITHMS: tuple[str, ...] = (
    "EdDSA",
    "ES256",
    "ES384",
    "ES512",
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
)
DEFAULT_CURVES: dict[str, str | None] = {
    "EdDSA": "Ed25519",
    "ES256": "P-256",
    "ES512": "P-521",
    "RS256": None,
    "PS256": None,
}


class JWTError(CryptoError):
    """A token that cannot be trusted: malformed, wrongly signed, wrong algorithm, expired, wrong issuer..."""

    def __init__(self, message: str, *, reason: str = "invalid_token") -> None:
        super().__init__(message)
        self.reason = reason


class ExpiredJWTError(JWTError):
    """A correctly signed token whose ``exp`` has passed."""


class JWSSigner:
    """Signs JWS compact tokens with one key: its header segment and prepared key are made once, not per token.

    Serialised as ``jose`` does (``JSON.stringify``: compact, non-ASCII kept as UTF-8, a lone surrogate
    escaped) with a protected header of exactly ``{"alg", ...headers}`` (no ``typ``). Ed25519 signs with
    libsodium (PyNaCl, loaded anyway for the encrypted JWKS rows): RFC 8032 signatures are deterministic,
    so the bytes are OpenSSL's, for about 60 % of its CPU on the jwt plugin's per-get-session token.
    """

    __slots__ = ("_head", "_sign", "algorithm")

    def __init__(self, key: Any, algorithm: str, headers: Mapping[str, Any] | None = None) -> None:
        self.algorithm = algorithm
        self._head = _header(algorithm, headers) + "."
        self._sign = _sign_function(key, algorithm)

    def with_header(self, headers: Mapping[str, Any]) -> JWSSigner:
        """The same key under another header, ``alg`` unchanged (the prepared key is shared, not derived again)."""
        other = JWSSigner.__new__(JWSSigner)
        other.algorithm = self.algorithm
        other._head = _header(self.algorithm, headers) + "."
        other._sign = self._sign
        return other

    def signature(self, data: bytes) -> bytes:
        """The raw signature of ``data``, as ``encode`` appends it (before base64url)."""
        return self._sign(data)

    def encode(self, claims: Mapping[str, Any]) -> str:
        """The compact JWT of ``claims``, in their order."""
        try:
            data = orjson.dumps(claims if type(claims) is dict else dict(claims), option=_STANDARD_TYPES_ONLY)
        except TypeError:  # a lone surrogate, an integer beyond 64 bits: the standard encoder
            data = utf8(_CLAIMS_JSON.encode(claims if type(claims) is dict else dict(claims)))
        signing_input = self._head + _b64url(data)
        return f"{signing_input}.{_b64url(self._sign(signing_input.encode('ascii')))}"


_STANDARD_TYPES_ONLY = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
"""What the standard encoder refuses, orjson refuses too (no silent RFC 3339 date in a claim)."""
_CLAIMS_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def encode_jwt(claims: Mapping[str, Any], key: Any, algorithm: str, *, headers: Mapping[str, Any] | None = None) -> str:
    """Sign ``claims`` once with ``key`` (a key that signs many tokens keeps a ``JWSSigner`` instead)."""
    return JWSSigner(key, algorithm, headers).encode(claims)


def _sign_function(key: Any, algorithm: str) -> Callable[[bytes], bytes]:
    if algorithm == "EdDSA" and isinstance(key, ed25519.Ed25519PrivateKey):
        _, secret = crypto_sign_seed_keypair(key.private_bytes_raw())
        return lambda data: crypto_sign(data, secret)[:64]
    signer = _signer(algorithm)
    if algorithm.startswith("HS"):
        with warnings.catch_warnings():
            # Better Auth accepts any HMAC secret length; the production settings check guards strength.
            warnings.simplefilter("ignore", InsecureKeyLengthWarning)
            prepared = signer.prepare_key(key)
    else:
        prepared = signer.prepare_key(key)
    return lambda data: cast(bytes, signer.sign(data, prepared))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _header(algorithm: str, headers: Mapping[str, Any] | None) -> str:
    items = tuple((headers or {}).items())
    try:
        return _header_segment(algorithm, items)
    except TypeError:  # an unhashable header value: encode it this once
        return _header_segment.__wrapped__(algorithm, items)


@functools.lru_cache(maxsize=256)
def _header_segment(algorithm: str, items: tuple[tuple[str, Any], ...]) -> str:
    # ``alg`` is always the algorithm that signs; a ``typ`` of ``None`` means "no typ" (PyJWT's convention).
    header = {"alg": algorithm, **{k: v for k, v in items if k != "alg" and not (k == "typ" and v is None)}}
    return _b64url(json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode())


@functools.lru_cache(maxsize=16)
def _signer(algorithm: str) -> Any:
    found = pyjwt.algorithms.get_default_algorithms().get(algorithm)
    if found is None or algorithm == "none":
        raise CryptoError(f"unsupported JWT algorithm {algorithm!r}")
    return found


_SEGMENT = re.compile(r"[A-Za-z0-9_-]*")


def unverified_header(token: str) -> dict[str, Any]:
    """The protected header, unverified (to pick the key by ``kid``).

    Only the header segment is decoded: ``decode_jwt`` then reads the whole token once (PyJWT's own
    header reader would check every character of the token a second time, on the hot path).

    Raises:
        JWTError: not a JWS compact token, or a header that is not a base64url JSON object.
    """
    if not isinstance(token, str) or len(token) > 16384 or token.count(".") != 2:
        raise JWTError("malformed token: not a JWS compact token")
    return dict(_parsed_header(token[: token.index(".")]))


@functools.lru_cache(maxsize=64)
def _parsed_header(segment: str) -> dict[str, Any]:
    # Every token a key signs has the same header segment: it is decoded once, not per request.
    if not _SEGMENT.fullmatch(segment) or len(segment) % 4 == 1:
        raise JWTError("malformed token: bad header encoding")
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, UnicodeError, RecursionError):
        raise JWTError("malformed token: bad header") from None
    if not isinstance(header, dict):
        raise JWTError("malformed token: the header is not an object")
    return header


def decode_jwt(
    token: str,
    key: Any,
    algorithms: Iterable[str],
    *,
    issuer: str | Iterable[str] | None = None,
    audience: str | Iterable[str] | None = None,
    leeway: float = 0,
    require: Iterable[str] = ("exp",),
) -> dict[str, Any]:
    """Verify signature, algorithm, ``exp``/``nbf`` (with ``leeway``), ``iss`` and ``aud``; return the claims.

    Raises:
        ExpiredJWTError: correctly signed but expired.
        JWTError: anything else wrong (the only other error this raises).
    """
    if not isinstance(token, str) or not token or len(token) > 16384:
        raise JWTError("malformed token")
    iss: Any = issuer if issuer is None or isinstance(issuer, str) else list(issuer)
    aud: Any = audience if audience is None or isinstance(audience, str) else list(audience)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", InsecureKeyLengthWarning)
            claims: Any = pyjwt.decode(
                token,
                key,
                algorithms=list(algorithms),
                issuer=iss,
                audience=aud,
                leeway=leeway,
                options={
                    "require": list(require),
                    "verify_aud": aud is not None,
                    "verify_iss": iss is not None,
                    "verify_iat": False,
                },
            )
    except pyjwt.ExpiredSignatureError:
        raise ExpiredJWTError("token expired", reason="expired") from None
    except pyjwt.ImmatureSignatureError:
        raise JWTError("token not valid yet", reason="not_yet_valid") from None
    except pyjwt.InvalidIssuerError:
        raise JWTError("wrong issuer", reason="issuer") from None
    except pyjwt.InvalidAudienceError:
        raise JWTError("wrong audience", reason="audience") from None
    except pyjwt.InvalidAlgorithmError:
        raise JWTError("algorithm not allowed", reason="algorithm") from None
    except (pyjwt.PyJWTError, ValueError, TypeError, UnicodeError, OverflowError) as error:
        raise JWTError(f"invalid token: {type(error).__name__}") from None
    if not isinstance(claims, dict):
        raise JWTError("claims are not an object")
    return claims


class VerifiedTokens:
    """The claims of recently verified tokens, so a client sending the same JWT again is not verified again.

    A bearer JWT is sent with every request until it expires: re-checking its signature each time was most of
    a JWT-protected route's cost. An entry is used only for the exact token string, with the very key object
    and the same issuer, audience, algorithms and leeway it was verified with (a reloaded or rotated key set
    makes new key objects, so its entries are never used), and only while ``exp`` and ``nbf`` still hold;
    anything else goes through :func:`decode_jwt`. Only verified tokens are stored, at most ``size`` of them
    (least recently used first out). What callers check after decoding (revocation, the user) still runs on
    every request.
    """

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._entries: OrderedDict[str, tuple[Any, tuple[Any, ...], dict[str, Any]]] = OrderedDict()

    def decode(
        self,
        token: str,
        key: Any,
        algorithms: Iterable[str],
        *,
        issuer: str | Iterable[str] | None = None,
        audience: str | Iterable[str] | None = None,
        leeway: float = 0,
        require: Iterable[str] = ("exp",),
    ) -> dict[str, Any]:
        """:func:`decode_jwt`, answered from the cache when this token was verified under the same terms.

        Raises:
            ExpiredJWTError: correctly signed but expired.
            JWTError: anything else wrong.
        """
        algorithms = tuple(algorithms)
        require = tuple(require)
        terms = (
            algorithms,
            issuer if issuer is None or isinstance(issuer, str) else tuple(issuer),
            audience if audience is None or isinstance(audience, str) else tuple(audience),
            leeway,
            require,
        )
        entry = self._entries.get(token)
        if entry is not None and entry[0] is key and entry[1] == terms and _in_force(entry[2], leeway):
            self._entries.move_to_end(token)
            return dict(entry[2])
        claims = decode_jwt(token, key, algorithms, issuer=terms[1], audience=terms[2], leeway=leeway, require=require)
        if "exp" in require and self._size > 0:
            self._entries[token] = (key, terms, dict(claims))
            self._entries.move_to_end(token)
            if len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return claims


def _in_force(claims: Mapping[str, Any], leeway: float) -> bool:
    """``exp`` and ``nbf`` checked as PyJWT checks them (a token at its ``exp`` second is expired)."""
    now = time.time()
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp <= now - leeway:
        return False
    nbf = claims.get("nbf")
    return nbf is None or (isinstance(nbf, int | float) and nbf <= now + leeway)


# -- keys ------------------------------------------------------------------------------------------

_ALGORITHM_CLASSES: dict[str, Any] = {
    "EdDSA": OKPAlgorithm,
    "ES256": ECAlgorithm,
    "ES384": ECAlgorithm,
    "ES512": ECAlgorithm,
    "RS256": RSAAlgorithm,
    "RS384": RSAAlgorithm,
    "RS512": RSAAlgorithm,
    "PS256": RSAPSSAlgorithm,
    "PS384": RSAPSSAlgorithm,
    "PS512": RSAPSSAlgorithm,
}
_JWK_ORDER = ("crv", "d", "dp", "dq", "e", "n", "p", "q", "qi", "x", "y", "kty")
"""``jose``'s exportJWK member order (Better Auth stores what it exports)."""


def generate_key_pair(
    algorithm: str, *, crv: str | None = None, modulus_length: int = 2048
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A new (private JWK, public JWK) pair for ``algorithm``, members in ``jose``'s order.

    Raises:
        CryptoError: an algorithm or curve Better Auth does not offer.
    """
    curve = crv or DEFAULT_CURVES.get(algorithm)
    private: Any
    if algorithm == "EdDSA":
        if curve not in (None, "Ed25519"):
            raise CryptoError(f"unsupported EdDSA curve {curve}")
        private = ed25519.Ed25519PrivateKey.generate()
    elif algorithm in ("ES256", "ES384", "ES512"):
        curves = {"P-256": ec.SECP256R1(), "P-384": ec.SECP384R1(), "P-521": ec.SECP521R1()}
        if curve not in curves:
            raise CryptoError(f"unsupported curve {curve}")
        private = ec.generate_private_key(curves[curve])
    elif algorithm in ("RS256", "PS256", "RS384", "RS512", "PS384", "PS512"):
        private = rsa.generate_private_key(public_exponent=65537, key_size=modulus_length)
    else:
        raise CryptoError(f"unsupported algorithm {algorithm}")
    cls = _ALGORITHM_CLASSES[algorithm]
    private_jwk = _ordered(json.loads(cls.to_jwk(private)))
    public_jwk = _ordered(json.loads(cls.to_jwk(private.public_key())))
    return private_jwk, public_jwk


def _ordered(jwk: dict[str, Any]) -> dict[str, Any]:
    out = {k: jwk[k] for k in _JWK_ORDER if k in jwk}
    out.update({k: v for k, v in jwk.items() if k not in out and k not in ("key_ops", "ext", "alg", "use", "kid")})
    return out


def key_from_jwk(jwk: Mapping[str, Any], algorithm: str) -> Any:
    """The cryptography key object of a JWK, for ``algorithm``.

    Raises:
        CryptoError: the JWK is malformed or does not fit the algorithm.
    """
    cls = _ALGORITHM_CLASSES.get(algorithm)
    if cls is None:
        raise CryptoError(f"unsupported algorithm {algorithm}")
    try:
        return cls.from_jwk(json.dumps(dict(jwk)))
    except (pyjwt.PyJWTError, ValueError, TypeError, KeyError) as error:
        raise CryptoError(f"unusable JWK: {type(error).__name__}") from None


def algorithm_fits_key(algorithm: str, jwk: Mapping[str, Any]) -> bool:
    """Whether a JWK's type can verify ``algorithm`` (blocks HS/asymmetric key confusion)."""
    kty = jwk.get("kty")
    if algorithm == "EdDSA":
        return kty == "OKP"
    if algorithm.startswith("ES"):
        return kty == "EC"
    if algorithm.startswith(("RS", "PS")):
        return kty == "RSA"
    return False
