-- Test users (passwords are set by the fixtures). connctl_reader has only what
-- a metadata reader needs on MariaDB 10.11:
--   SELECT on each database     information_schema shows an object only to a
--                               user with some privilege on it
--   SHOW VIEW                   VIEWS.VIEW_DEFINITION (else it is empty)
--   TRIGGER                     the rows of information_schema.TRIGGERS
--   EVENT                       the rows of information_schema.EVENTS
--   SELECT ON mysql.proc        ROUTINES.ROUTINE_DEFINITION of routines the
--                               user did not define (10.11 has no
--                               SHOW CREATE ROUTINE privilege; 11.3+ has)
-- connctl_noview is the same without SHOW VIEW.
DROP USER IF EXISTS ''@'localhost';
CREATE USER connctl_reader@'%';
GRANT SELECT, SHOW VIEW, TRIGGER, EVENT ON connctl_shop.* TO connctl_reader@'%';
GRANT SELECT, SHOW VIEW, TRIGGER, EVENT ON `connctl.other db`.* TO connctl_reader@'%';
GRANT SELECT, SHOW VIEW, TRIGGER, EVENT ON connctl_empty.* TO connctl_reader@'%';
GRANT SELECT ON mysql.proc TO connctl_reader@'%';

CREATE USER connctl_noview@'%';
GRANT SELECT, TRIGGER, EVENT ON connctl_shop.* TO connctl_noview@'%';
GRANT SELECT, TRIGGER, EVENT ON `connctl.other db`.* TO connctl_noview@'%';
GRANT SELECT, TRIGGER, EVENT ON connctl_empty.* TO connctl_noview@'%';
GRANT SELECT ON mysql.proc TO connctl_noview@'%';
