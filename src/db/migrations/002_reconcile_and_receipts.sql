-- When reconciliation may ask the provider about this open payment again (spread across processes).
ALTER TABLE payments ADD COLUMN next_check_at timestamptz;
CREATE INDEX payments_open_check ON payments (next_check_at) WHERE state IN ('checkout_open', 'pending');

-- Provider notification ids already seen (e.g. Ecart Pay's x-pay-webhook-id), for replay refusal.
CREATE TABLE webhook_receipts (
  provider text NOT NULL,
  receipt_id text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, receipt_id)
);
