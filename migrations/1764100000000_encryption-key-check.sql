-- Up Migration

-- A known value encrypted with the key in use, beside the API keys it protects: start-up refuses an
-- ENCRYPTION_KEY that does not decrypt it, so the keys of two different keys are never mixed.
-- One row, created on first start. Only the table owner reads it. See docs/decisions/006-encryption-key-check.md.
CREATE TABLE encryption_key_check (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  value_encrypted text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  rotated_at timestamptz
);

-- Down Migration

DROP TABLE IF EXISTS encryption_key_check;
