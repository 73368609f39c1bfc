import google.auth
from google.auth.transport.requests import AuthorizedSession

from config import settings


def export_to_bigquery():
    creds, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    session = AuthorizedSession(creds)
    url = f"https://healthcare.googleapis.com/v1/{settings.FHIR_STORE}:export"
    body = {"bigqueryDestination": {"datasetUri": f"bq://{settings.PROJECT}.clinical", "schemaConfig": {"schemaType": "ANALYTICS_V2"}}}
    return session.post(url, json=body).json()
