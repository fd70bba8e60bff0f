-- 0005: search ignores accents (issue #16): "bich" finds "Trần Thị Bích", "Nguyen Van" finds
-- "Nguyễn Văn An". contact_name_folded held the lower-cased name; it now holds
-- omnichannel.FoldSearch of it (lower case, accents removed, đ as d), which the store computes in Go
-- when it writes a row. The folds of the existing rows are recomputed by the Go step of this
-- migration (migrate.go, refoldContactNames), in the same transaction, with the same function.
--
-- The trigram index of the names is dropped here, so that the recomputation does not move every
-- row in it one by one; the Go step builds it again, once, from the new values (when pg_trgm is
-- installed, as migration 0002 does).
DROP INDEX IF EXISTS conversations_name_trgm;
