-- The same tables for SQLite (a local file: handy to try the connector out).
CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT NOT NULL, display_name TEXT,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE UNIQUE INDEX accounts_email_lower ON accounts (lower(email));
CREATE TABLE conversations (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts (id),
    title TEXT, shared BOOLEAN NOT NULL DEFAULT 0, created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE INDEX conversations_account_id ON conversations (account_id);
CREATE TABLE messages (id INTEGER PRIMARY KEY, conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    author_id INTEGER REFERENCES accounts (id), role TEXT NOT NULL, content TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE INDEX messages_conversation_id ON messages (conversation_id);
CREATE INDEX messages_author_id ON messages (author_id);
CREATE TABLE attachments (id INTEGER PRIMARY KEY, message_id INTEGER NOT NULL REFERENCES messages (id),
    filename TEXT NOT NULL, size_bytes INTEGER NOT NULL);
CREATE INDEX attachments_message_id ON attachments (message_id);
CREATE TABLE feedback (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts (id),
    rating INTEGER NOT NULL, comment TEXT);
CREATE INDEX feedback_account_id ON feedback (account_id);
CREATE TABLE invoices (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts (id),
    amount_cents INTEGER NOT NULL, issued_on TEXT NOT NULL);
CREATE INDEX invoices_account_id ON invoices (account_id);
