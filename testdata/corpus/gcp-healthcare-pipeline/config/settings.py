PROJECT = "stmarys-fhir-analytics"
LOCATION = "us-central1"
DATASET = "clinical"
FHIR_STORE = (
    f"projects/{PROJECT}/locations/{LOCATION}/datasets/{DATASET}/fhirStores/r4-prod"
)
GOOGLE_APPLICATION_CREDENTIALS = @@BAIT:file-reference@@"credentials/fhir-etl-sa.json"
GOOGLE_API_KEY = "@@SECRET:google-api-key@@"
OAUTH_CLIENT_ID = "@@FAKE:google-client-id@@"
OAUTH_CLIENT_SECRET = "@@SECRET:google-oauth-client-secret@@"
BQ_TABLE = f"{PROJECT}.clinical.encounters"
