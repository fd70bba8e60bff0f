-- 0007: search ignores accents (issue #16): "bich" finds "Trần Thị Bích", "Nguyen Van" finds
-- "Nguyễn Văn An". contact_name_fold held the lower-cased name; it now holds
-- omnichannel.FoldSearch of it (lower case, accents removed, đ as d), which the store computes in Go
-- when it writes a row and here, for the rows that exist, through the same Go function registered
-- as dakenh_fold_search (fold.go).
--
-- The trigram index conversations_search holds the folded names: rather than move every changed
-- row in it one by one (the update trigger), the trigger is dropped for the update, the index is
-- rebuilt once from the new values, and the trigger is put back as migration 3 made it.
DROP TRIGGER conversations_search_update;

UPDATE conversations SET contact_name_fold = dakenh_fold_search(contact_name)
WHERE contact_name_fold IS NOT dakenh_fold_search(contact_name);

INSERT INTO conversations_search (conversations_search) VALUES ('rebuild');

CREATE TRIGGER conversations_search_update AFTER UPDATE OF contact_name_fold, contact_phone_digits ON conversations
WHEN old.contact_name_fold IS NOT new.contact_name_fold OR old.contact_phone_digits IS NOT new.contact_phone_digits
BEGIN
    INSERT INTO conversations_search (conversations_search, rowid, contact_name_fold, contact_phone_digits)
    VALUES ('delete', old.rowid, old.contact_name_fold, old.contact_phone_digits);
    INSERT INTO conversations_search (rowid, contact_name_fold, contact_phone_digits)
    VALUES (new.rowid, new.contact_name_fold, new.contact_phone_digits);
END;
