-- 0010: workspace records (issue #22): a workspace's name and status (active, suspended). A
-- workspace id used by other rows without a record here is treated as active.
CREATE TABLE workspaces (
    id         text        NOT NULL PRIMARY KEY,
    name       text        NOT NULL,
    status     text        NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
