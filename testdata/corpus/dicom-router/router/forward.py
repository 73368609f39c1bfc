import os

import requests
from pydicom import dcmread

SESSION = requests.Session()
SESSION.auth = ("router", @@BAIT:env-reference@@os.environ.get("ORTHANC_PASSWORD", ""))
STUDY_UID_ROOT = "1.2.840.113619.2.55.3"


def forward(path: str, url: str) -> int:
    ds = dcmread(path)
    headers = {"Authorization": f"@@BAIT:template-reference@@Bearer {os.environ['DICOMWEB_TOKEN']}", "Content-Type": "application/dicom"}
    return SESSION.post(f"{url}/studies/{ds.StudyInstanceUID}", data=open(path, "rb"), headers=headers).status_code
