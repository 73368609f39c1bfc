import os
import time
import uuid

import jwt

ASSERTION_ALG = "RS256"
TOKEN_URL = "https://api.healthgorilla.com/oauth/token"


def assertion() -> str:
    with open(@@BAIT:env-reference@@os.environ["HEALTH_GORILLA_KEY_PATH"], "rb") as fh:
        key = fh.read()
    now = int(time.time())
    claims = {"iss": os.environ["HEALTH_GORILLA_CLIENT_ID"], "aud": TOKEN_URL, "iat": now, "exp": now + 300, "jti": str(uuid.uuid4())}
    return jwt.encode(claims, key, algorithm=ASSERTION_ALG)
