-- 0012: workspace records (issue #22): a workspace's name and status (active, suspended). A
-- workspace id used by other rows without a record here is treated as active.
CREATE TABLE workspaces (
    id         TEXT    NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL,
    status     TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
