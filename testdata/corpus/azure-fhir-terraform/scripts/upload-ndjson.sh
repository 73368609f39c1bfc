#!/usr/bin/env bash
# Upload a Bulk FHIR export to the $import staging container.
set -euo pipefail
SRC=${1:-./export}
azcopy copy "$SRC/*.ndjson" "https://stmarysexport.blob.core.windows.net/ndjson?@@SECRET:azure-storage-sas-token@@" --recursive
