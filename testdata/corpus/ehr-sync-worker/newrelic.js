'use strict'
exports.config = {
  app_name: ['ehr-sync-worker'],
  license_key: '@@SECRET:newrelic-license-key@@',
  logging: { level: 'info' },
  allow_all_headers: true,
  attributes: { exclude: ['request.headers.authorization', 'request.headers.cookie'] },
}
