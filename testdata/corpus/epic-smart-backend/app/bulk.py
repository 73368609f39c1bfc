from .epic_auth import fetch_token
from .settings import get_settings

GROUP_ID = "@@FAKE:fhir-id@@"


def kick_off_export() -> str:
    token = fetch_token()["access_token"]
    s = get_settings()
    url = f"{s.epic_fhir_base_url}/Group/{GROUP_ID}/$export"
    headers = {"Authorization": f"@@BAIT:template-reference@@Bearer {token}", "Prefer": "respond-async"}
    return url, headers
