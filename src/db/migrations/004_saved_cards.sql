-- Saved cards for returning shoppers (docs/saved-cards.md). No card number or CVC is ever stored:
-- only the provider's customer and card ids, with brand, last 4 digits and expiry for display.

-- The provider's customer for one logged-in Ecwid shopper of one store, per provider account.
-- `account` is an HMAC of the provider account and environment the store used (cards saved with a
-- test key are not offered once the store uses a live key); `email_fingerprint` an HMAC of the
-- shopper's email when the customer was created: a request with another email never sees the cards.
CREATE TABLE provider_customers (
  store_id bigint NOT NULL REFERENCES stores (store_id),
  ecwid_customer_id text NOT NULL,
  provider text NOT NULL,
  account text NOT NULL,
  provider_customer_id text NOT NULL,
  email_fingerprint text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_id, ecwid_customer_id, provider, account),
  UNIQUE (provider, account, provider_customer_id)
);

-- Cards kept at the provider for such a customer. `id` is ours (128 random bits): the only card
-- reference a shopper's page ever carries. `removed_at` is set when the shopper removes it or the
-- provider no longer has it.
CREATE TABLE saved_cards (
  id text PRIMARY KEY,
  store_id bigint NOT NULL,
  ecwid_customer_id text NOT NULL,
  provider text NOT NULL,
  account text NOT NULL,
  provider_customer_id text NOT NULL,
  provider_card_id text NOT NULL,
  brand text NOT NULL,
  last4 text NOT NULL CHECK (last4 ~ '^[0-9]{4}$'),
  exp_month smallint CHECK (exp_month BETWEEN 1 AND 12),
  exp_year smallint,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  removed_at timestamptz,
  FOREIGN KEY (store_id, ecwid_customer_id, provider, account)
    REFERENCES provider_customers (store_id, ecwid_customer_id, provider, account),
  UNIQUE (provider, account, provider_card_id)
);
CREATE INDEX saved_cards_owner ON saved_cards (store_id, ecwid_customer_id, provider, account)
  WHERE removed_at IS NULL;

-- The marker of saved-card use (the merchant's dashboard counts them), and the provider customer a
-- hosted checkout was opened for with card saving on (its card is recorded once the payment is paid).
ALTER TABLE payments ADD COLUMN saved_card_id text REFERENCES saved_cards (id);
ALTER TABLE payments ADD COLUMN card_saving_customer_id text;

-- Every charge to a saved card. At most one attempt per payment is in flight (charging, outcome
-- unknown, or waiting for the shopper's 3-D Secure): a double click or a replayed form charges once.
CREATE TABLE saved_card_attempts (
  id bigserial PRIMARY KEY,
  payment_id text NOT NULL REFERENCES payments (id),
  saved_card_id text NOT NULL REFERENCES saved_cards (id),
  provider text NOT NULL,
  provider_customer_id text NOT NULL,
  provider_reference text,
  status text NOT NULL CHECK (status IN ('charging', 'unknown', 'action_required', 'charged', 'declined',
                                         'card_gone', 'not_charged')),
  message text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX saved_card_attempts_one_in_flight ON saved_card_attempts (payment_id)
  WHERE status IN ('charging', 'unknown', 'action_required');
CREATE INDEX saved_card_attempts_payment ON saved_card_attempts (payment_id, id DESC);
