-- A chat product's own database (PostgreSQL): accounts, conversations, the messages in them
-- (people's prompts and the assistant's replies), files attached to messages, feedback on
-- replies, and invoices. The indexes are those the dataset's edges need (chat_dataset.yaml).
CREATE TABLE accounts (
    id bigint PRIMARY KEY,
    email text NOT NULL,
    display_name text,
    created_at timestamptz NOT NULL DEFAULT now()
);
-- The dataset compares e-mail addresses case-insensitively: lower(email) = lower($1).
CREATE UNIQUE INDEX accounts_email_lower ON accounts (lower(email));

CREATE TABLE conversations (
    id bigint PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id),
    title text,
    shared boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conversations_account_id ON conversations (account_id);

CREATE TABLE messages (
    id bigint PRIMARY KEY,
    conversation_id bigint NOT NULL REFERENCES conversations (id),
    author_id bigint REFERENCES accounts (id),  -- NULL: the assistant's reply
    role text NOT NULL,
    content text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_conversation_id ON messages (conversation_id);
CREATE INDEX messages_author_id ON messages (author_id);

CREATE TABLE attachments (
    id bigint PRIMARY KEY,
    message_id bigint NOT NULL REFERENCES messages (id),
    filename text NOT NULL,
    size_bytes integer NOT NULL
);
CREATE INDEX attachments_message_id ON attachments (message_id);

CREATE TABLE feedback (
    id bigint PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id),
    rating smallint NOT NULL,
    comment text
);
CREATE INDEX feedback_account_id ON feedback (account_id);

CREATE TABLE invoices (
    id bigint PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id),
    amount_cents integer NOT NULL,
    issued_on date NOT NULL
);
CREATE INDEX invoices_account_id ON invoices (account_id);
