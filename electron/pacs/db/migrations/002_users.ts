/**
 * Local user accounts and their login sessions (electron/pacs/web/auth/).
 * `name` keeps the spelling the user was created with; `name_key` (NFC, lower case) makes names unique
 * regardless of case. `password_hash` is a self-describing scrypt string (algorithm, parameters, salt,
 * hash), so the cost can be raised later and old hashes still verify. Sessions keep only the SHA-256 of
 * their bearer token; their expiry is computed from created_at/last_seen_at and the configured limits,
 * so a shorter limit in the configuration applies to sessions already open.
 */
export const sql = `
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  name_key TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('admin', 'radiologist', 'technologist', 'viewer')),
  password_hash TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  password_changed_at TEXT NOT NULL,
  last_login_at TEXT
) STRICT;

CREATE TABLE sessions (
  id INTEGER PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  user_fk INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  remote_address TEXT,
  user_agent TEXT
) STRICT;
CREATE INDEX sessions_user ON sessions (user_fk);
CREATE INDEX sessions_created ON sessions (created_at);
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);
`;
