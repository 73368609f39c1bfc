<?php
return [
    'password_prompt' => '@@BAIT:i18n-string@@Enter your password',
    'password_reset'  => '@@BAIT:i18n-string@@Reset your password',
    'password_weak'   => 'Your password must contain at least 12 characters.',
];
