-- 0008: a placeholder of branch admin for the migration another branch of issue #22 adds with this
-- number (migrations are numbered without gaps). Drop this file when that branch's 0008 is merged.
SELECT 1;
