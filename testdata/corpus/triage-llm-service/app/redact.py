import re

PATTERNS = {
    "openai": re.compile(@@BAIT:regex@@r"sk-(?:proj-)?[A-Za-z0-9_-]{20,}"),
    "aws": re.compile(@@BAIT:regex@@r"(?:AKIA|ASIA)[0-9A-Z]{16}"),
    "github": re.compile(@@BAIT:regex@@r"gh[pousr]_[A-Za-z0-9]{36}"),
}


def redact(text: str) -> str:
    for name, rx in PATTERNS.items():
        text = rx.sub(f"[REDACTED:{name}]", text)
    return text
