"""The push's OIDC token, verified with google-auth: Google's signature (keys from the
certs URL), the audience, the expiry, the issuer and — when configured — the service
account it was issued to. A token is never logged or echoed."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from monitor.events.settings import PushAuthSettings

log = logging.getLogger(__name__)
ISSUERS = ("accounts.google.com", "https://accounts.google.com")
CLOCK_SKEW_SECONDS = 10


class Unauthenticated(Exception):
    """No bearer token: 401."""


class Forbidden(Exception):
    """A token that does not verify (signature, audience, expiry, issuer, account): 403."""


class KeysUnavailable(Exception):
    """The signing keys could not be fetched: our failure, not the caller's (503, so
    Pub/Sub redelivers)."""


def bearer_token(headers: Mapping[str, str]) -> str:
    value = headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("missing bearer token")
    return token.strip()


_PROBLEMS = (("expired", "expired"), ("too early", "not yet valid"),
             ("audience", "wrong audience"), ("signature", "bad signature"),
             ("certificate", "unknown signing key"), ("key", "unknown signing key"))


def token_problem(message: str) -> str:
    """A fixed reason for google-auth's error text, which may quote the token."""
    lowered = message.lower()
    return next((reason for word, reason in _PROBLEMS if word in lowered), "malformed")


class PushVerifier:
    def __init__(self, settings: PushAuthSettings) -> None:
        self.settings = settings

    def verify(self, headers: Mapping[str, str]) -> Mapping[str, object]:
        """The token's claims; raises Unauthenticated, Forbidden or KeysUnavailable."""
        import google.auth.exceptions
        import google.auth.transport.requests
        from google.oauth2 import id_token

        token = bearer_token(headers)
        s = self.settings
        try:
            claims = id_token.verify_token(
                token, google.auth.transport.requests.Request(), audience=s.audience,
                certs_url=s.certs_url, clock_skew_in_seconds=CLOCK_SKEW_SECONDS)
        except google.auth.exceptions.TransportError as exc:
            log.warning("push token not verified: signing keys unavailable (%s)",
                        type(exc).__name__)
            raise KeysUnavailable("signing keys unavailable") from None
        except (ValueError, google.auth.exceptions.GoogleAuthError) as exc:
            # google-auth's own text can quote the token's segments or our audience:
            # the caller and the log get a fixed reason only.
            raise Forbidden(f"invalid token: {token_problem(str(exc))}") from None
        if claims.get("iss") not in ISSUERS:
            raise Forbidden("invalid token: not issued by Google")
        if s.service_account is not None and (
                claims.get("email") != s.service_account or
                claims.get("email_verified") is not True):
            raise Forbidden("invalid token: not the push subscription's service account")
        return claims
