import os

import azure.functions as func
from azure.identity import ClientSecretCredential

credential = ClientSecretCredential(
    tenant_id=os.environ["AZURE_TENANT_ID"],
    client_id=os.environ["AZURE_CLIENT_ID"],
    client_secret=@@BAIT:env-reference@@os.environ["AZURE_CLIENT_SECRET"],
)


def main(blob: func.InputStream) -> None:
    token = credential.get_token(os.environ["FHIR_URL"] + "/.default")
    print(len(token.token))
