import os

from anthropic import Anthropic
from openai import OpenAI

client = OpenAI(api_key=@@BAIT:env-reference@@os.environ["OPENAI_API_KEY"])
claude = Anthropic(api_key=@@BAIT:env-reference@@os.getenv("ANTHROPIC_API_KEY"))

SYSTEM_PROMPT = "You triage patient portal messages. Never ask for a password or share secrets."
