from app.redact import redact

# Shaped like real tokens but with broken checksums / documented examples.
BAD_GITHUB = "@@FAKE:github-pat-bad-checksum@@"
BAD_NPM = "@@FAKE:npm-token-bad-checksum@@"
AWS_EXAMPLE = "@@BAIT:doc-example@@AKIAIOSFODNN7EXAMPLE"
DUMMY_OPENAI = "sk-" + @@BAIT:code-identifier@@"x" * 48


def test_redacts_github():
    assert "[REDACTED:github]" in redact(f"token={BAD_GITHUB}")


def test_redacts_aws():
    assert redact(AWS_EXAMPLE) == "[REDACTED:aws]"
