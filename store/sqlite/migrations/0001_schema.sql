-- 0001: the tables, their keys and the lookups every Tx method needs.
-- Times are INTEGER microseconds since the Unix epoch (UTC); booleans are 0/1; lists, maps and
-- nested structs that nothing filters on are JSON text.

CREATE TABLE connections (
    id            TEXT    NOT NULL PRIMARY KEY, -- global: webhooks find a connection by id alone
    workspace_id  TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    external_id   TEXT    NOT NULL,
    display_name  TEXT    NOT NULL,
    avatar_url    TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    status_reason TEXT    NOT NULL,
    owner_id      TEXT    NOT NULL,
    permission    TEXT    NOT NULL,
    rule_id       TEXT    NOT NULL,
    credentials   TEXT    NOT NULL, -- JSON omnichannel.Credentials
    settings      TEXT    NOT NULL, -- JSON map
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    version       INTEGER NOT NULL
);
CREATE INDEX connections_workspace ON connections (workspace_id, id);
CREATE INDEX connections_external ON connections (kind, external_id);

CREATE TABLE contacts (
    workspace_id TEXT    NOT NULL,
    id           TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    phone        TEXT    NOT NULL,
    email        TEXT    NOT NULL,
    avatar_url   TEXT    NOT NULL,
    attributes   TEXT    NOT NULL, -- JSON map
    crm_ref      TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE identities (
    workspace_id     TEXT    NOT NULL,
    id               TEXT    NOT NULL,
    contact_id       TEXT    NOT NULL,
    connection_id    TEXT    NOT NULL REFERENCES connections (id),
    channel_kind     TEXT    NOT NULL,
    external_user_id TEXT    NOT NULL,
    display_name     TEXT    NOT NULL,
    avatar_url       TEXT    NOT NULL,
    phone            TEXT    NOT NULL,
    follower         INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, connection_id, external_user_id),
    FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id)
);
CREATE INDEX identities_contact ON identities (workspace_id, contact_id);

CREATE TABLE conversations (
    workspace_id           TEXT    NOT NULL,
    id                     TEXT    NOT NULL,
    connection_id          TEXT    NOT NULL REFERENCES connections (id),
    channel_kind           TEXT    NOT NULL,
    contact_id             TEXT    NOT NULL,
    identity_id            TEXT    NOT NULL,
    contact_name           TEXT    NOT NULL,
    contact_name_fold      TEXT    NOT NULL, -- lower-cased contact_name, for search
    contact_phone          TEXT    NOT NULL,
    contact_phone_digits   TEXT    NOT NULL, -- contact_phone without "+", for search
    status                 TEXT    NOT NULL,
    assignee_id            TEXT    NOT NULL,
    team_id                TEXT    NOT NULL,
    rule_id                TEXT    NOT NULL,
    awaiting_claim         INTEGER NOT NULL,
    claimed                INTEGER NOT NULL,
    historical             INTEGER NOT NULL,
    category_id            TEXT    NOT NULL,
    category_path          TEXT    NOT NULL, -- JSON list, the value as given
    category1              TEXT    NOT NULL, -- the path's levels, for the category filter
    category2              TEXT    NOT NULL,
    category3              TEXT    NOT NULL,
    classification_id      TEXT    NOT NULL,
    note                   TEXT    NOT NULL,
    referral               TEXT    NOT NULL,
    last_seq               INTEGER NOT NULL,
    inbound_count          INTEGER NOT NULL,
    replies_since_inbound  INTEGER NOT NULL,
    last_message_text      TEXT    NOT NULL,
    last_message_at        INTEGER NOT NULL,
    last_message_direction TEXT    NOT NULL,
    last_inbound_at        INTEGER NOT NULL,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL,
    version                INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, connection_id, identity_id),
    FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id),
    FOREIGN KEY (workspace_id, identity_id) REFERENCES identities (workspace_id, id)
);

CREATE TABLE messages (
    workspace_id              TEXT    NOT NULL,
    id                        TEXT    NOT NULL,
    conversation_id           TEXT    NOT NULL,
    connection_id             TEXT    NOT NULL,
    seq                       INTEGER NOT NULL,
    direction                 TEXT    NOT NULL,
    type                      TEXT    NOT NULL,
    sender_id                 TEXT    NOT NULL,
    sender_name               TEXT    NOT NULL,
    text                      TEXT    NOT NULL,
    attachments               TEXT    NOT NULL, -- JSON list
    quote_provider_message_id TEXT    NOT NULL,
    template_id               TEXT    NOT NULL,
    provider_message_id       TEXT    NOT NULL,
    idempotency_key           TEXT    NOT NULL,
    status                    TEXT    NOT NULL,
    failure_code              TEXT    NOT NULL,
    failure_reason            TEXT    NOT NULL,
    attempts                  INTEGER NOT NULL,
    activity                  TEXT,              -- JSON omnichannel.Activity, NULL when none
    provider_time             INTEGER NOT NULL,
    created_at                INTEGER NOT NULL,
    updated_at                INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, conversation_id) REFERENCES conversations (workspace_id, id)
);
CREATE INDEX messages_thread ON messages (workspace_id, conversation_id, seq);
-- Empty provider ids and idempotency keys never collide: the unique indexes skip them.
CREATE UNIQUE INDEX messages_provider_id ON messages (workspace_id, connection_id, provider_message_id)
    WHERE provider_message_id <> '';
CREATE UNIQUE INDEX messages_idempotency_key ON messages (workspace_id, conversation_id, idempotency_key)
    WHERE idempotency_key <> '';

CREATE TABLE read_states (
    workspace_id    TEXT    NOT NULL,
    user_id         TEXT    NOT NULL,
    conversation_id TEXT    NOT NULL,
    inbound_count   INTEGER NOT NULL,
    seq             INTEGER NOT NULL,
    read_at         INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, user_id, conversation_id),
    FOREIGN KEY (workspace_id, conversation_id) REFERENCES conversations (workspace_id, id)
) WITHOUT ROWID; -- the list's unread filter reads a whole row by its key

CREATE TABLE users (
    workspace_id TEXT    NOT NULL,
    id           TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    email        TEXT    NOT NULL,
    avatar_url   TEXT    NOT NULL,
    role         TEXT    NOT NULL,
    team_ids     TEXT    NOT NULL, -- JSON list
    active       INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE teams (
    workspace_id TEXT NOT NULL,
    id           TEXT NOT NULL,
    name         TEXT NOT NULL,
    member_ids   TEXT NOT NULL, -- JSON list
    method       TEXT NOT NULL,
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE rules (
    workspace_id TEXT    NOT NULL,
    id           TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    source_ids   TEXT    NOT NULL, -- JSON list
    user_ids     TEXT    NOT NULL, -- JSON list, in rotation order
    method       TEXT    NOT NULL,
    old_policy   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE templates (
    workspace_id  TEXT NOT NULL,
    id            TEXT NOT NULL,
    name          TEXT NOT NULL,
    body          TEXT NOT NULL,
    channel_kinds TEXT NOT NULL, -- JSON list
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE categories (
    workspace_id TEXT    NOT NULL,
    id           TEXT    NOT NULL,
    parent_id    TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    active       INTEGER NOT NULL,
    position     INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE classifications (
    workspace_id TEXT    NOT NULL,
    id           TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    active       INTEGER NOT NULL,
    position     INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE rotations (
    workspace_id TEXT    NOT NULL,
    key          TEXT    NOT NULL,
    next         INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, key)
);

CREATE TABLE jobs (
    id              TEXT    NOT NULL PRIMARY KEY, -- global: the worker serves every workspace
    workspace_id    TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    conversation_id TEXT    NOT NULL,
    message_id      TEXT    NOT NULL,
    connection_id   TEXT    NOT NULL,
    payload         TEXT    NOT NULL, -- JSON map
    attempts        INTEGER NOT NULL,
    run_at          INTEGER NOT NULL,
    locked_by       TEXT    NOT NULL,
    locked_until    INTEGER NOT NULL,
    started         INTEGER NOT NULL,
    last_error      TEXT    NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX jobs_due ON jobs (run_at, id);

CREATE TABLE leases (
    key   TEXT    NOT NULL PRIMARY KEY,
    owner TEXT    NOT NULL,
    until INTEGER NOT NULL
);

CREATE TABLE oauth_states (
    state         TEXT    NOT NULL PRIMARY KEY,
    workspace_id  TEXT    NOT NULL,
    user_id       TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    code_verifier TEXT    NOT NULL,
    redirect_uri  TEXT    NOT NULL,
    permission    TEXT    NOT NULL,
    rule_id       TEXT    NOT NULL,
    expires_at    INTEGER NOT NULL
);
