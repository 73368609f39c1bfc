import os
from functools import lru_cache

from pydantic_settings import BaseSettings

PASSWORD_FIELD = @@BAIT:code-identifier@@"password"
CLIENT_SECRET_ENV = @@BAIT:code-identifier@@"EPIC_CLIENT_SECRET"


class Settings(BaseSettings):
    epic_fhir_base_url: str = "https://fhir.epic.com/interconnect-fhir-oauth/api/FHIR/R4"
    epic_token_url: str = "https://fhir.epic.com/interconnect-fhir-oauth/oauth2/token"
    epic_client_id: str = @@BAIT:env-reference@@os.getenv("EPIC_CLIENT_ID", "")
    epic_client_secret: str | None = @@BAIT:env-reference@@os.getenv("EPIC_CLIENT_SECRET")
    private_key_path: str = os.environ.get("EPIC_PRIVATE_KEY_PATH", "keys/privatekey.pem")
    database_password: str = @@BAIT:empty-value@@""
    jwt_alg: str = "RS384"

    class Config:
        env_file = ".env"


@lru_cache
def get_settings() -> Settings:
    return Settings()
