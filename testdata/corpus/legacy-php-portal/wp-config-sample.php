<?php
define( 'DB_NAME', 'database_name_here' );
define( 'DB_USER', 'username_here' );
define( 'DB_PASSWORD', '@@BAIT:placeholder@@password_here' );
define( 'DB_HOST', 'localhost' );

define( 'AUTH_KEY',         '@@BAIT:placeholder@@put your unique phrase here' );
define( 'SECURE_AUTH_KEY',  '@@BAIT:placeholder@@put your unique phrase here' );
define( 'LOGGED_IN_KEY',    '@@BAIT:placeholder@@put your unique phrase here' );
