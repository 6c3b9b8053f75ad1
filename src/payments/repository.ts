import { randomBytes } from 'node:crypto';
import type { Queryable } from '../db';
import type { Payment, PaymentState } from './model';

export interface PaymentRow {
  id: string;
  store_id: number | string;
  reference_transaction_id: string;
  ecwid_order_id: string;
  attempt: number;
  amount: number | string;
  currency: string;
  state: PaymentState;
  lang: string;
  return_url: string;
  provider: string | null;
  provider_reference: string | null;
  provider_secrets_sealed: string | null;
  checkout_url: string | null;
  external_transaction_id: string | null;
  refunded_amount: number | string;
  attention: string | null;
  version: number;
  created_at: Date | string;
  updated_at: Date | string;
}

export function toPayment(row: PaymentRow): Payment {
  return {
    id: row.id,
    storeId: Number(row.store_id),
    referenceTransactionId: row.reference_transaction_id,
    ecwidOrderId: row.ecwid_order_id,
    attempt: row.attempt,
    total: { amount: Number(row.amount), currency: row.currency.trim() },
    state: row.state,
    lang: row.lang === 'en' ? 'en' : 'es',
    returnUrl: row.return_url,
    provider: row.provider,
    providerReference: row.provider_reference,
    providerSecretsSealed: row.provider_secrets_sealed,
    checkoutUrl: row.checkout_url,
    externalTransactionId: row.external_transaction_id,
    refundedAmount: Number(row.refunded_amount),
    attention: row.attention,
    version: row.version,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/**
 * Every column a Payment is read from. Not `order_sealed`: the sealed Ecwid order (several KB) is
 * read only where it is needed (findSealedOrder), not on every state check, lock and update.
 */
export const PAYMENT_COLUMNS = `id, store_id, reference_transaction_id, ecwid_order_id, attempt, amount, currency,
  state, lang, return_url, provider, provider_reference, provider_secrets_sealed, checkout_url,
  external_transaction_id, refunded_amount, attention, version, created_at, updated_at`;

/** The sealed Ecwid order of a payment (unseal with secrets.unseal). */
export async function findSealedOrder(q: Queryable, id: string): Promise<string | null> {
  const rows = await q.query<{ order_sealed: string }>('SELECT order_sealed FROM payments WHERE id = $1', [
    id,
  ]);
  return rows[0]?.order_sealed ?? null;
}

/** 128 random bits, URL-safe: a payment id is a capability for the shopper's pages. */
export function newPaymentId(): string {
  return randomBytes(16).toString('base64url');
}

export const PAYMENT_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

export async function findPayment(
  q: Queryable,
  id: string,
  opts: { forUpdate?: boolean } = {},
): Promise<Payment | null> {
  if (!PAYMENT_ID_PATTERN.test(id)) return null;
  const rows = await q.query<PaymentRow>(
    `SELECT ${PAYMENT_COLUMNS} FROM payments WHERE id = $1${opts.forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] ? toPayment(rows[0]) : null;
}

export async function findPaymentByProviderReference(
  q: Queryable,
  provider: string,
  reference: string,
): Promise<Payment | null> {
  const rows = await q.query<PaymentRow>(
    `SELECT ${PAYMENT_COLUMNS} FROM payments WHERE provider = $1 AND provider_reference = $2`,
    [provider, reference],
  );
  return rows[0] ? toPayment(rows[0]) : null;
}

/** The latest attempt for an Ecwid order, locked for the caller's transaction. */
export async function findLatestAttempt(
  q: Queryable,
  storeId: number,
  referenceTransactionId: string,
): Promise<Payment | null> {
  const rows = await q.query<PaymentRow>(
    `SELECT ${PAYMENT_COLUMNS} FROM payments WHERE store_id = $1 AND reference_transaction_id = $2
     ORDER BY attempt DESC LIMIT 1 FOR UPDATE`,
    [storeId, referenceTransactionId],
  );
  return rows[0] ? toPayment(rows[0]) : null;
}

export interface NewPayment {
  storeId: number;
  referenceTransactionId: string;
  ecwidOrderId: string;
  attempt: number;
  amount: number;
  currency: string;
  lang: string;
  returnUrl: string;
  orderSealed: string;
}

export async function insertPayment(q: Queryable, p: NewPayment): Promise<Payment> {
  const rows = await q.query<PaymentRow>(
    `INSERT INTO payments (id, store_id, reference_transaction_id, ecwid_order_id, attempt, amount, currency, state,
                           lang, return_url, order_sealed)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'created', $8, $9, $10) RETURNING ${PAYMENT_COLUMNS}`,
    [
      newPaymentId(),
      p.storeId,
      p.referenceTransactionId,
      p.ecwidOrderId,
      p.attempt,
      p.amount,
      p.currency,
      p.lang,
      p.returnUrl,
      p.orderSealed,
    ],
  );
  return toPayment(rows[0]!);
}

/**
 * An order's first attempt and its `created` event in one statement, inserted only when the store
 * is known and the order has no attempt at all (an order with attempts has its attempt 1: none is
 * ever deleted). Most payment requests are an order's first: this spares them a transaction and
 * several round trips. Also answers the store's sealed token, so the caller can tell whether Ecwid
 * sent a new one, without another query. Two first requests at once: ON CONFLICT makes the second
 * wait for the first and insert nothing (it then takes the re-entry path). The conflict check is
 * the unique index itself, whatever the planner thinks of the table: an existence subquery planned
 * while `payments` was empty scanned the store's payments (2,900 pages at 20,000 payments).
 */
export async function insertFirstAttempt(
  q: Queryable,
  p: Omit<NewPayment, 'attempt'>,
): Promise<{ payment: Payment | null; storeKnown: boolean; storeTokenSealed: string | null }> {
  const rows = await q.query<
    Partial<PaymentRow> & { store_known: boolean; store_token_sealed: string | null }
  >(
    `WITH store AS (
       SELECT token_sealed FROM stores WHERE store_id = $2::bigint
     ), created AS (
       INSERT INTO payments (id, store_id, reference_transaction_id, ecwid_order_id, attempt, amount, currency,
                             state, lang, return_url, order_sealed)
       SELECT $1::text, $2::bigint, $3::text, $4::text, 1, $5::bigint, $6::text, 'created', $7::text, $8::text,
              $9::text
       WHERE EXISTS (SELECT 1 FROM store)
       ON CONFLICT (store_id, reference_transaction_id, attempt) DO NOTHING
       RETURNING id, created_at, updated_at
     ), event AS (
       INSERT INTO payment_events (payment_id, kind, to_state, source)
       SELECT id, 'created', 'created', 'ecwid' FROM created
     )
     SELECT EXISTS (SELECT 1 FROM store) AS store_known, (SELECT token_sealed FROM store) AS store_token_sealed,
            created.*
     FROM (SELECT 1) AS one LEFT JOIN created ON true`,
    [
      newPaymentId(),
      p.storeId,
      p.referenceTransactionId,
      p.ecwidOrderId,
      p.amount,
      p.currency,
      p.lang,
      p.returnUrl,
      p.orderSealed,
    ],
  );
  const row = rows[0]!;
  return {
    payment: row.id ? toPayment(newFirstAttemptRow(p, row as FirstAttemptReturned)) : null,
    storeKnown: row.store_known,
    storeTokenSealed: row.store_token_sealed,
  };
}

type FirstAttemptReturned = Pick<PaymentRow, 'id' | 'created_at' | 'updated_at'>;

/**
 * The new attempt's row from what was inserted and the columns' defaults: only what the database
 * made (id, timestamps) comes back. Every returned column costs (PGlite: ~200 µs for all twenty).
 */
function newFirstAttemptRow(p: Omit<NewPayment, 'attempt'>, made: FirstAttemptReturned): PaymentRow {
  return {
    ...made,
    store_id: p.storeId,
    reference_transaction_id: p.referenceTransactionId,
    ecwid_order_id: p.ecwidOrderId,
    attempt: 1,
    amount: p.amount,
    currency: p.currency,
    state: 'created',
    lang: p.lang,
    return_url: p.returnUrl,
    provider: null,
    provider_reference: null,
    provider_secrets_sealed: null,
    checkout_url: null,
    external_transaction_id: null,
    refunded_amount: 0,
    attention: null,
    version: 0,
  };
}

/** Re-entry of the same order: keep the latest returnUrl (Ecwid makes a new one per click). */
export async function refreshReentry(
  q: Queryable,
  id: string,
  fields: { returnUrl: string; lang: string; orderSealed: string },
): Promise<Payment> {
  const rows = await q.query<PaymentRow>(
    `UPDATE payments SET return_url = $2, lang = $3, order_sealed = $4, updated_at = now()
     WHERE id = $1 RETURNING ${PAYMENT_COLUMNS}`,
    [id, fields.returnUrl, fields.lang, fields.orderSealed],
  );
  return toPayment(rows[0]!);
}

export interface StateChange {
  to: PaymentState;
  externalTransactionId?: string | null;
  refundedAmount?: number;
  attention?: string | null;
}

/** Compare-and-set on the version: applies only if nobody changed the payment since it was read. */
export async function compareAndSetState(
  q: Queryable,
  payment: Payment,
  change: StateChange,
): Promise<Payment | null> {
  const rows = await q.query<PaymentRow>(
    `UPDATE payments SET state = $3,
        external_transaction_id = COALESCE($4, external_transaction_id),
        refunded_amount = COALESCE($5, refunded_amount),
        attention = COALESCE($6, attention),
        version = version + 1, updated_at = now()
     WHERE id = $1 AND version = $2 RETURNING ${PAYMENT_COLUMNS}`,
    [
      payment.id,
      payment.version,
      change.to,
      change.externalTransactionId ?? null,
      change.refundedAmount ?? null,
      change.attention ?? null,
    ],
  );
  return rows[0] ? toPayment(rows[0]) : null;
}

/** Records the provider checkout; only while the payment is still waiting for one. */
export async function recordCheckout(
  q: Queryable,
  payment: Payment,
  checkout: {
    provider: string;
    providerReference: string;
    checkoutUrl: string;
    providerSecretsSealed: string | null;
  },
): Promise<Payment | null> {
  const rows = await q.query<PaymentRow>(
    `UPDATE payments SET state = 'checkout_open', provider = $3, provider_reference = $4, checkout_url = $5,
        provider_secrets_sealed = $6, version = version + 1, updated_at = now()
     WHERE id = $1 AND version = $2 AND state IN ('created', 'checkout_open') RETURNING ${PAYMENT_COLUMNS}`,
    [
      payment.id,
      payment.version,
      checkout.provider,
      checkout.providerReference,
      checkout.checkoutUrl,
      checkout.providerSecretsSealed,
    ],
  );
  return rows[0] ? toPayment(rows[0]) : null;
}

/**
 * The earliest other attempt of the same Ecwid order that already took money (a second payment needs
 * a refund). Ordered by attempt, so it reads the order's unique index whatever its statistics say.
 */
export async function findOtherPaidAttempt(q: Queryable, payment: Payment): Promise<Payment | null> {
  const rows = await q.query<PaymentRow>(
    `SELECT ${PAYMENT_COLUMNS} FROM payments WHERE store_id = $1 AND reference_transaction_id = $2 AND id <> $3
       AND state IN ('paid', 'refunded', 'partially_refunded') AND attention IS DISTINCT FROM 'duplicate_payment_refund_needed'
     ORDER BY attempt LIMIT 1`,
    [payment.storeId, payment.referenceTransactionId, payment.id],
  );
  return rows[0] ? toPayment(rows[0]) : null;
}

export async function recordEvent(
  q: Queryable,
  event: {
    paymentId: string;
    kind: string;
    from?: PaymentState | null;
    to?: PaymentState | null;
    source: string;
    dedupeKey?: string | null;
    detail?: Record<string, unknown>;
  },
): Promise<boolean> {
  const rows = await q.query(
    `INSERT INTO payment_events (payment_id, kind, from_state, to_state, source, dedupe_key, detail)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING id`,
    [
      event.paymentId,
      event.kind,
      event.from ?? null,
      event.to ?? null,
      event.source,
      event.dedupeKey ?? null,
      event.detail ? JSON.stringify(event.detail) : null,
    ],
  );
  return rows.length > 0;
}
