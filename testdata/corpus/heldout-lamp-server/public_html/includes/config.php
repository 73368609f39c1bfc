<?php
// legacy appointment booking
$db_host = "localhost";
$db_user = "booking";
$db_pass = "@@SECRET:credfile-password/passphrase@@";
$db_name = "appointments";

$smtp_host = "mail.stmarys-clinic.org";
$smtp_password = '@@SECRET:credfile-password/wordyear@@';

$admin_password = @@BAIT:empty-value@@'';
$ldap_password = @@BAIT:env-reference@@getenv('LDAP_PASSWORD');
