import jwt
import pytest

from app import epic_auth

# Public example from jwt.io, signed with "your-256-bit-secret".
EXAMPLE_JWT = "@@FAKE:jwt-io-example@@"
TEST_PATIENT = "Patient/@@BAIT:doc-example@@eq081-VQEgP8drUUqCWzHfw3"
FAKE_SECRET = "@@BAIT:low-entropy-value@@test-secret"


def test_example_token_decodes():
    claims = jwt.decode(EXAMPLE_JWT, "your-256-bit-secret", algorithms=["HS256"])
    assert claims["name"] == "John Doe"


def test_assertion_has_audience(monkeypatch, tmp_path):
    monkeypatch.setenv("EPIC_CLIENT_SECRET", FAKE_SECRET)
    assert epic_auth.ASSERTION_TYPE.endswith("jwt-bearer")
