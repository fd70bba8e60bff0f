-- dakenh store/postgres, version 1: every table of omnichannel.Store.
-- Ids are text chosen by the engine. No foreign keys: the engine writes in dependency order and the
-- conformance suite stores rows whose referents live in the host CRM.

CREATE TABLE connections (
    id            text PRIMARY KEY, -- global: the webhook URL names a connection before its workspace
    workspace_id  text NOT NULL,
    kind          text NOT NULL,
    external_id   text NOT NULL,
    display_name  text NOT NULL,
    avatar_url    text NOT NULL,
    status        text NOT NULL,
    status_reason text NOT NULL,
    owner_id      text NOT NULL,
    permission    text NOT NULL,
    rule_id       text NOT NULL,
    credentials   jsonb NOT NULL,
    settings      jsonb NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    version       bigint NOT NULL
);
CREATE INDEX connections_workspace ON connections (workspace_id, id);
CREATE INDEX connections_external ON connections (kind, external_id) WHERE status <> 'disconnected';

-- Contacts, users, teams, rules, templates, categories and classifications are read and written
-- whole and never filtered in SQL: each is one JSON document per row.
CREATE TABLE contacts        (workspace_id text NOT NULL, id text NOT NULL, doc jsonb NOT NULL, PRIMARY KEY (workspace_id, id));
CREATE TABLE users           (workspace_id text NOT NULL, id text NOT NULL, doc jsonb NOT NULL, PRIMARY KEY (workspace_id, id));
CREATE TABLE teams           (workspace_id text NOT NULL, id text NOT NULL, doc jsonb NOT NULL, PRIMARY KEY (workspace_id, id));
CREATE TABLE rules           (workspace_id text NOT NULL, id text NOT NULL, doc jsonb NOT NULL, PRIMARY KEY (workspace_id, id));
CREATE TABLE templates       (workspace_id text NOT NULL, id text NOT NULL, doc jsonb NOT NULL, PRIMARY KEY (workspace_id, id));
CREATE TABLE categories      (workspace_id text NOT NULL, id text NOT NULL, doc jsonb NOT NULL, PRIMARY KEY (workspace_id, id));
CREATE TABLE classifications (workspace_id text NOT NULL, id text NOT NULL, doc jsonb NOT NULL, PRIMARY KEY (workspace_id, id));

CREATE TABLE identities (
    workspace_id     text NOT NULL,
    id               text NOT NULL,
    contact_id       text NOT NULL,
    connection_id    text NOT NULL,
    channel_kind     text NOT NULL,
    external_user_id text NOT NULL,
    display_name     text NOT NULL,
    avatar_url       text NOT NULL,
    phone            text NOT NULL,
    follower         boolean NOT NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, connection_id, external_user_id)
);
CREATE INDEX identities_contact ON identities (workspace_id, contact_id);

CREATE TABLE conversations (
    workspace_id           text NOT NULL,
    id                     text NOT NULL,
    connection_id          text NOT NULL,
    channel_kind           text NOT NULL,
    contact_id             text NOT NULL,
    identity_id            text NOT NULL,
    contact_name           text NOT NULL,
    contact_name_folded    text NOT NULL, -- lower-cased in Go (Unicode), for search
    contact_phone          text NOT NULL,
    status                 text NOT NULL,
    assignee_id            text NOT NULL,
    team_id                text NOT NULL,
    rule_id                text NOT NULL,
    awaiting_claim         boolean NOT NULL,
    claimed                boolean NOT NULL,
    historical             boolean NOT NULL,
    category_id            text NOT NULL,
    category_path          text[] NOT NULL,
    classification_id      text NOT NULL,
    note                   text NOT NULL,
    referral               text NOT NULL,
    last_seq               bigint NOT NULL,
    inbound_count          bigint NOT NULL,
    replies_since_inbound  integer NOT NULL,
    last_message_text      text NOT NULL,
    last_message_at        timestamptz NOT NULL,
    last_message_direction text NOT NULL,
    last_inbound_at        timestamptz NOT NULL,
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL,
    version                bigint NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, connection_id, identity_id)
);
-- The list order (keyset paging) and one index per common filter of SPEC A1 that keeps that order,
-- so a filtered page is an index range scan that stops after Limit rows.
CREATE INDEX conversations_list           ON conversations (workspace_id, last_message_at DESC, id DESC);
CREATE INDEX conversations_status         ON conversations (workspace_id, status, last_message_at DESC, id DESC);
CREATE INDEX conversations_assignee       ON conversations (workspace_id, assignee_id, last_message_at DESC, id DESC);
CREATE INDEX conversations_team           ON conversations (workspace_id, team_id, last_message_at DESC, id DESC);
CREATE INDEX conversations_connection     ON conversations (workspace_id, connection_id, last_message_at DESC, id DESC);
CREATE INDEX conversations_kind           ON conversations (workspace_id, channel_kind, last_message_at DESC, id DESC);
CREATE INDEX conversations_classification ON conversations (workspace_id, classification_id, last_message_at DESC, id DESC);
CREATE INDEX conversations_contact        ON conversations (workspace_id, contact_id, last_message_at DESC, id DESC);
CREATE INDEX conversations_awaiting       ON conversations (workspace_id, last_message_at DESC, id DESC) WHERE awaiting_claim;
CREATE INDEX conversations_category       ON conversations USING gin (category_path);

CREATE TABLE messages (
    workspace_id             text NOT NULL,
    id                       text NOT NULL,
    conversation_id          text NOT NULL,
    connection_id            text NOT NULL,
    seq                      bigint NOT NULL,
    direction                text NOT NULL,
    type                     text NOT NULL,
    sender_id                text NOT NULL,
    sender_name              text NOT NULL,
    text                     text NOT NULL,
    attachments              jsonb NOT NULL,
    quote_provider_message_id text NOT NULL,
    template_id              text NOT NULL,
    provider_message_id      text NOT NULL,
    idempotency_key          text NOT NULL,
    status                   text NOT NULL,
    failure_code             text NOT NULL,
    failure_reason           text NOT NULL,
    attempts                 integer NOT NULL,
    activity                 jsonb, -- NULL when the message is not an activity entry
    provider_time            timestamptz NOT NULL,
    created_at               timestamptz NOT NULL,
    updated_at               timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
CREATE UNIQUE INDEX messages_provider_id ON messages (workspace_id, connection_id, provider_message_id)
    WHERE provider_message_id <> '';
CREATE UNIQUE INDEX messages_idempotency ON messages (workspace_id, conversation_id, idempotency_key)
    WHERE idempotency_key <> '';
CREATE INDEX messages_thread ON messages (workspace_id, conversation_id, seq);

CREATE TABLE read_states (
    workspace_id    text NOT NULL,
    user_id         text NOT NULL,
    conversation_id text NOT NULL,
    inbound_count   bigint NOT NULL,
    seq             bigint NOT NULL,
    read_at         timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, conversation_id, user_id)
);

-- Round-robin positions: one counter per (workspace, key), shared by every process.
CREATE TABLE rotations (
    workspace_id text NOT NULL,
    key          text NOT NULL,
    next         bigint NOT NULL,
    PRIMARY KEY (workspace_id, key)
);

-- The outbox / job queue (global).
CREATE TABLE jobs (
    id              text PRIMARY KEY,
    workspace_id    text NOT NULL,
    kind            text NOT NULL,
    conversation_id text NOT NULL,
    message_id      text NOT NULL,
    connection_id   text NOT NULL,
    payload         jsonb NOT NULL,
    attempts        integer NOT NULL,
    run_at          timestamptz NOT NULL,
    locked_by       text NOT NULL,
    locked_until    timestamptz NOT NULL,
    started         boolean NOT NULL,
    last_error      text NOT NULL,
    created_at      timestamptz NOT NULL
);
CREATE INDEX jobs_due ON jobs (run_at, id);

-- Named locks across processes (token refresh).
CREATE TABLE leases (
    key   text PRIMARY KEY,
    owner text NOT NULL,
    until timestamptz NOT NULL
);

CREATE TABLE oauth_states (
    state text PRIMARY KEY,
    doc   jsonb NOT NULL
);

-- Event refs relayed between processes (EventRelay): NOTIFY carries the id, receivers read the row.
CREATE TABLE events (
    id         bigserial PRIMARY KEY,
    source     text NOT NULL,
    refs       jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_created ON events (created_at);
