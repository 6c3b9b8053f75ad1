-- Stores that sent us payments or installed the app. The Ecwid token is sealed (AES-256-GCM).
CREATE TABLE stores (
  store_id bigint PRIMARY KEY,
  token_sealed text,
  settings jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- One row per payment attempt for an Ecwid order (storeId, referenceTransactionId).
CREATE TABLE payments (
  id text PRIMARY KEY,
  store_id bigint NOT NULL REFERENCES stores (store_id),
  reference_transaction_id text NOT NULL,
  ecwid_order_id text NOT NULL,
  attempt integer NOT NULL,
  amount bigint NOT NULL CHECK (amount >= 0),
  currency char(3) NOT NULL,
  state text NOT NULL CHECK (state IN ('created', 'checkout_open', 'pending', 'paid', 'failed', 'expired',
                                       'cancelled', 'refunded', 'partially_refunded')),
  lang text NOT NULL,
  return_url text NOT NULL,
  -- The order details providers need (customer, items): personal data, so sealed.
  order_sealed text NOT NULL,
  provider text,
  provider_reference text,
  -- Provider session secrets (e.g. ETpay signature_token), sealed.
  provider_secrets_sealed text,
  checkout_url text,
  external_transaction_id text,
  refunded_amount bigint NOT NULL DEFAULT 0,
  -- Something a merchant must look at (e.g. a second paid attempt that needs a refund).
  attention text,
  version integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (store_id, reference_transaction_id, attempt)
);

-- At most one open attempt per Ecwid order: concurrent "Go to Payment" clicks land on the same row.
CREATE UNIQUE INDEX payments_one_open_attempt ON payments (store_id, reference_transaction_id)
  WHERE state IN ('created', 'checkout_open', 'pending');
CREATE UNIQUE INDEX payments_provider_reference ON payments (provider, provider_reference)
  WHERE provider_reference IS NOT NULL;
CREATE INDEX payments_store_created ON payments (store_id, created_at DESC);

-- Audit trail of every state change and refused notification; dedupe_key makes notifications idempotent.
CREATE TABLE payment_events (
  id bigserial PRIMARY KEY,
  payment_id text NOT NULL REFERENCES payments (id),
  kind text NOT NULL,
  from_state text,
  to_state text,
  source text NOT NULL,
  dedupe_key text,
  detail jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX payment_events_dedupe ON payment_events (payment_id, dedupe_key) WHERE dedupe_key IS NOT NULL;

-- Durable outbox of Ecwid order updates, written in the same transaction as the state change.
CREATE TABLE ecwid_updates (
  id bigserial PRIMARY KEY,
  payment_id text NOT NULL REFERENCES payments (id),
  store_id bigint NOT NULL,
  reference_transaction_id text NOT NULL,
  payment_status text NOT NULL,
  external_transaction_id text,
  payment_message text,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  locked_until timestamptz,
  last_error text,
  last_http_status integer,
  created_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz
);
CREATE INDEX ecwid_updates_due ON ecwid_updates (next_attempt_at) WHERE status = 'pending';
CREATE INDEX ecwid_updates_payment ON ecwid_updates (payment_id, id);
