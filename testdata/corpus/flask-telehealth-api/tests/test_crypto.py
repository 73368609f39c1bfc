import hmac
import hashlib

# NIST SP 800-38A F.1.1 AES-128 key and RFC 4231 test case 1 key
NIST_AES_KEY = bytes.fromhex("@@FAKE:aes-test-vector@@")
RFC4231_KEY = bytes.fromhex("@@FAKE:hmac-test-key@@")
EXAMPLE_JWT = "@@FAKE:jwt-io-example@@"


def test_rfc4231_case1():
    mac = hmac.new(RFC4231_KEY, b"Hi There", hashlib.sha256).hexdigest()
    assert mac.startswith("b0344c61")
