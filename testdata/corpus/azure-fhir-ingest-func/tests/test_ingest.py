AZURITE = (
    "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
    "AccountKey=@@BAIT:doc-example@@Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
    "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;"
)
CERT_THUMBPRINT = "@@FAKE:cert-thumbprint@@"


def test_connection_string_parses():
    assert "devstoreaccount1" in AZURITE
