<?php
/** Patient portal configuration (production). */
define('DB_NAME', 'patient_portal');
define('DB_USER', 'portal');
define('DB_PASSWORD', '@@SECRET:generic-password@@');
define('DB_HOST', 'mysql.stmarys.internal');

define('AUTH_KEY',         '@@SECRET:wordpress-salt@@');
define('SECURE_AUTH_KEY',  '@@SECRET:wordpress-salt@@');
define('LOGGED_IN_KEY',    '@@SECRET:wordpress-salt@@');

$mailgun_key = '@@SECRET:mailgun-api-key@@';
$ldap_password = @@BAIT:env-reference@@getenv('LDAP_PASSWORD');
