-- A chat product's own database (MariaDB / MySQL): the same tables as chat_postgresql.sql.
-- utf8mb4 with a case-insensitive collation (_ci, the default): the dataset's e-mail comparison
-- is then case-insensitive and uses the unique index on email.
CREATE TABLE accounts (
    id BIGINT PRIMARY KEY,
    email VARCHAR(254) NOT NULL,
    display_name VARCHAR(200),
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE KEY accounts_email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE conversations (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL,
    title VARCHAR(500),
    shared BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    KEY conversations_account_id (account_id),
    CONSTRAINT conversations_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE messages (
    id BIGINT PRIMARY KEY,
    conversation_id BIGINT NOT NULL,
    author_id BIGINT NULL,
    role VARCHAR(20) NOT NULL,
    content TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    KEY messages_conversation_id (conversation_id),
    KEY messages_author_id (author_id),
    CONSTRAINT messages_conversation FOREIGN KEY (conversation_id) REFERENCES conversations (id),
    CONSTRAINT messages_author FOREIGN KEY (author_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE attachments (
    id BIGINT PRIMARY KEY,
    message_id BIGINT NOT NULL,
    filename VARCHAR(255) NOT NULL,
    size_bytes INT NOT NULL,
    KEY attachments_message_id (message_id),
    CONSTRAINT attachments_message FOREIGN KEY (message_id) REFERENCES messages (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE feedback (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL,
    rating SMALLINT NOT NULL,
    comment TEXT,
    KEY feedback_account_id (account_id),
    CONSTRAINT feedback_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE invoices (
    id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL,
    amount_cents INT NOT NULL,
    issued_on DATE NOT NULL,
    KEY invoices_account_id (account_id),
    CONSTRAINT invoices_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
