<?php
/**
 * The base configuration for WordPress
 */
define( 'DB_NAME', 'clinic_wp' );
define( 'DB_USER', 'clinic_wp' );
define( 'DB_PASSWORD', '@@SECRET:credfile-password/product@@' );
define( 'DB_HOST', 'localhost' );
define( 'DB_CHARSET', 'utf8mb4' );

define( 'FTP_USER', 'webmaster' );
define( 'FTP_PASS', '@@SECRET:credfile-password/short@@' );

$table_prefix = 'wp_';
define( 'WP_DEBUG', false );
