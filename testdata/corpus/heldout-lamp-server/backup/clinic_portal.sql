-- MySQL dump 10.13  Distrib 5.7.42, for Linux (x86_64)
--
-- Host: localhost    Database: clinic_portal
-- ------------------------------------------------------

DROP TABLE IF EXISTS `users`;
CREATE TABLE `users` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `username` varchar(64) NOT NULL,
  `email` varchar(255) NOT NULL,
  `password` varchar(255) NOT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

LOCK TABLES `users` WRITE;
INSERT INTO `users` VALUES (1,'admin','admin@stmarys-clinic.org','@@SECRET:password-hash/bcrypt@@');
INSERT INTO `users` VALUES (2,'frontdesk','desk@stmarys-clinic.org','@@SECRET:password-hash/bcrypt@@');
UNLOCK TABLES;

DROP TABLE IF EXISTS `staff_accounts`;
CREATE TABLE `staff_accounts` (
  `id` int(11) NOT NULL,
  `login` varchar(64) NOT NULL,
  `passwd` varchar(64) NOT NULL
);
INSERT INTO `staff_accounts` (`id`, `login`, `passwd`) VALUES (1, 'nurse01', '@@SECRET:credfile-password/short@@');
INSERT INTO `staff_accounts` (`id`, `login`, `passwd`) VALUES (2, 'pharmacy', '@@SECRET:credfile-password/product@@');
