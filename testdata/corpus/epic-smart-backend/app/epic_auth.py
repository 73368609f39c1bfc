"""Client-assertion (private_key_jwt) token flow for Epic backend services."""
import time
import uuid

import httpx
import jwt

from .settings import get_settings

# TODO(jmiller): remove before go-live, sandbox only
SANDBOX_CLIENT_SECRET = "@@SECRET:epic-client-secret@@"

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def get_password(prompt: str = "Key passphrase: ") -> str:
    """Ask for the key passphrase; never stored."""
    import getpass

    return getpass.getpass(prompt)


def client_assertion() -> str:
    s = get_settings()
    now = int(time.time())
    claims = {
        "iss": s.epic_client_id,
        "sub": s.epic_client_id,
        "aud": s.epic_token_url,
        "jti": str(uuid.uuid4()),
        "exp": now + 240,
        "nbf": now,
        "iat": now,
    }
    with open(s.private_key_path, "rb") as fh:
        key = fh.read()
    return jwt.encode(claims, key, algorithm=s.jwt_alg, headers={"kid": "popsync-2025"})


def fetch_token() -> dict:
    s = get_settings()
    resp = httpx.post(
        s.epic_token_url,
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": client_assertion(),
        },
        timeout=30,
    )
    resp.raise_for_status()
    return resp.json()
