#!/usr/bin/env bash
set -euo pipefail
STAMP=$(date +%F)
PGPASSWORD='@@SECRET:generic-password@@' pg_dump -h fhir-db.stmarys.internal -U backup fhir | gzip > "/backups/fhir-${STAMP}.sql.gz"
aws s3 cp "/backups/fhir-${STAMP}.sql.gz" s3://stmarys-db-backups/fhir/ --sse aws:kms
