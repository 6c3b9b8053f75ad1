import { randomBytes } from 'node:crypto';
import type { Queryable } from '../db';
import type { ProviderCard } from '../providers/types';

/** Storage of provider customers, saved cards and saved-card charge attempts (004_saved_cards.sql). */

export interface ShopperKey {
  storeId: number;
  ecwidCustomerId: string;
  provider: string;
  /** HMAC of the provider account and environment. */
  account: string;
}

export interface ProviderCustomer extends ShopperKey {
  providerCustomerId: string;
  emailFingerprint: string;
}

export interface SavedCard extends ShopperKey {
  id: string;
  providerCustomerId: string;
  providerCardId: string;
  brand: string;
  last4: string;
  expMonth: number | null;
  expYear: number | null;
  createdAt: Date;
  removedAt: Date | null;
}

export type AttemptStatus =
  'charging' | 'unknown' | 'action_required' | 'charged' | 'declined' | 'card_gone' | 'not_charged';

export const IN_FLIGHT: readonly AttemptStatus[] = ['charging', 'unknown', 'action_required'];

export interface Attempt {
  id: number;
  paymentId: string;
  savedCardId: string;
  provider: string;
  providerCustomerId: string;
  providerReference: string | null;
  status: AttemptStatus;
  message: string | null;
  createdAt: Date;
}

/** Our card ids: 128 random bits, URL-safe (the only card reference a shopper's page carries). */
export const SAVED_CARD_ID_PATTERN = /^sc_[A-Za-z0-9_-]{22}$/;

export function newSavedCardId(): string {
  return `sc_${randomBytes(16).toString('base64url')}`;
}

type Row = Record<string, unknown>;

function toCustomer(r: Row): ProviderCustomer {
  return {
    storeId: Number(r.store_id),
    ecwidCustomerId: String(r.ecwid_customer_id),
    provider: String(r.provider),
    account: String(r.account),
    providerCustomerId: String(r.provider_customer_id),
    emailFingerprint: String(r.email_fingerprint),
  };
}

function toCard(r: Row): SavedCard {
  return {
    id: String(r.id),
    storeId: Number(r.store_id),
    ecwidCustomerId: String(r.ecwid_customer_id),
    provider: String(r.provider),
    account: String(r.account),
    providerCustomerId: String(r.provider_customer_id),
    providerCardId: String(r.provider_card_id),
    brand: String(r.brand),
    last4: String(r.last4),
    expMonth: r.exp_month === null || r.exp_month === undefined ? null : Number(r.exp_month),
    expYear: r.exp_year === null || r.exp_year === undefined ? null : Number(r.exp_year),
    createdAt: new Date(r.created_at as string),
    removedAt: r.removed_at ? new Date(r.removed_at as string) : null,
  };
}

function toAttempt(r: Row): Attempt {
  return {
    id: Number(r.id),
    paymentId: String(r.payment_id),
    savedCardId: String(r.saved_card_id),
    provider: String(r.provider),
    providerCustomerId: String(r.provider_customer_id),
    providerReference: (r.provider_reference as string | null) ?? null,
    status: r.status as AttemptStatus,
    message: (r.message as string | null) ?? null,
    createdAt: new Date(r.created_at as string),
  };
}

export async function findProviderCustomer(q: Queryable, key: ShopperKey): Promise<ProviderCustomer | null> {
  const rows = await q.query<Row>(
    `SELECT * FROM provider_customers
     WHERE store_id = $1 AND ecwid_customer_id = $2 AND provider = $3 AND account = $4`,
    [key.storeId, key.ecwidCustomerId, key.provider, key.account],
  );
  return rows[0] ? toCustomer(rows[0]) : null;
}

/** Stores the provider customer unless one exists already for the shopper; returns the stored one. */
export async function insertProviderCustomer(q: Queryable, c: ProviderCustomer): Promise<ProviderCustomer> {
  const [inserted] = await q.query<Row>(
    `INSERT INTO provider_customers (store_id, ecwid_customer_id, provider, account, provider_customer_id, email_fingerprint)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING *`,
    [c.storeId, c.ecwidCustomerId, c.provider, c.account, c.providerCustomerId, c.emailFingerprint],
  );
  // Nothing returned: another checkout of the same shopper stored one first; that one is kept.
  if (inserted) return toCustomer(inserted);
  return (await findProviderCustomer(q, c)) ?? c;
}

export async function listSavedCards(q: Queryable, key: ShopperKey): Promise<SavedCard[]> {
  const rows = await q.query<Row>(
    `SELECT * FROM saved_cards
     WHERE store_id = $1 AND ecwid_customer_id = $2 AND provider = $3 AND account = $4 AND removed_at IS NULL
     ORDER BY created_at, id`,
    [key.storeId, key.ecwidCustomerId, key.provider, key.account],
  );
  return rows.map(toCard);
}

export async function findSavedCard(q: Queryable, id: string): Promise<SavedCard | null> {
  if (!SAVED_CARD_ID_PATTERN.test(id)) return null;
  const rows = await q.query<Row>('SELECT * FROM saved_cards WHERE id = $1', [id]);
  return rows[0] ? toCard(rows[0]) : null;
}

/**
 * Makes the stored cards of a customer what the provider says they are: new cards are added (display
 * data only), cards the provider no longer has are marked removed. Returns the cards now saved.
 */
export async function syncSavedCards(
  q: Queryable,
  customer: ProviderCustomer,
  cards: ProviderCard[],
): Promise<SavedCard[]> {
  for (const card of cards) {
    await q.query(
      // clock_timestamp(): cards added together keep the provider's order (now() is the transaction's).
      `INSERT INTO saved_cards (id, store_id, ecwid_customer_id, provider, account, provider_customer_id,
                                provider_card_id, brand, last4, exp_month, exp_year, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, clock_timestamp())
       ON CONFLICT (provider, account, provider_card_id) DO UPDATE
         SET brand = EXCLUDED.brand, last4 = EXCLUDED.last4, exp_month = EXCLUDED.exp_month,
             exp_year = EXCLUDED.exp_year
         WHERE saved_cards.provider_customer_id = EXCLUDED.provider_customer_id
           AND saved_cards.removed_at IS NULL`,
      [
        newSavedCardId(),
        customer.storeId,
        customer.ecwidCustomerId,
        customer.provider,
        customer.account,
        customer.providerCustomerId,
        card.id,
        card.brand,
        card.last4,
        card.expMonth,
        card.expYear,
      ],
    );
  }
  const ids = cards.map((c) => c.id);
  await q.query(
    `UPDATE saved_cards SET removed_at = now()
     WHERE provider = $1 AND account = $2 AND provider_customer_id = $3 AND removed_at IS NULL
       AND NOT (provider_card_id = ANY($4::text[]))`,
    [customer.provider, customer.account, customer.providerCustomerId, ids],
  );
  return listSavedCards(q, customer);
}

export async function markCardRemoved(q: Queryable, id: string): Promise<void> {
  await q.query('UPDATE saved_cards SET removed_at = now() WHERE id = $1 AND removed_at IS NULL', [id]);
}

export async function markCardUsed(q: Queryable, id: string): Promise<void> {
  await q.query('UPDATE saved_cards SET last_used_at = now() WHERE id = $1', [id]);
}

// ---------------------------------------------------------------- attempts

const UNIQUE_VIOLATION = '23505';

/**
 * Starts a saved-card charge: in one transaction holding the payment's row lock, the payment must
 * still wait for a checkout (created, no provider), no other attempt may be in flight (unique index),
 * and the payment is marked as being paid with this card at this provider (state checkout_open, no
 * checkout URL, no provider order yet). null when it cannot start (already in flight, or moved on).
 */
export async function beginAttempt(
  q: Queryable,
  input: { paymentId: string; card: SavedCard },
): Promise<Attempt | null> {
  const locked = await q.query<Row>(
    `SELECT state, provider, version FROM payments WHERE id = $1 FOR UPDATE`,
    [input.paymentId],
  );
  const row = locked[0];
  if (!row || row.state !== 'created' || row.provider !== null) return null;
  let inserted: Row[];
  try {
    inserted = await q.query<Row>(
      `INSERT INTO saved_card_attempts (payment_id, saved_card_id, provider, provider_customer_id, status)
       VALUES ($1, $2, $3, $4, 'charging') RETURNING *`,
      [input.paymentId, input.card.id, input.card.provider, input.card.providerCustomerId],
    );
  } catch (error) {
    if ((error as { code?: string }).code === UNIQUE_VIOLATION) return null;
    throw error;
  }
  await q.query(
    `UPDATE payments SET state = 'checkout_open', provider = $2, provider_reference = NULL, checkout_url = NULL,
        provider_secrets_sealed = NULL, saved_card_id = $3, version = version + 1, updated_at = now()
     WHERE id = $1`,
    [input.paymentId, input.card.provider, input.card.id],
  );
  await q.query(
    `INSERT INTO payment_events (payment_id, kind, from_state, to_state, source, detail)
     VALUES ($1, 'checkout_opened', 'created', 'checkout_open', $2, $3)`,
    [input.paymentId, `${input.card.provider}:saved_card`, JSON.stringify({ savedCard: input.card.id })],
  );
  return toAttempt(inserted[0]!);
}

/**
 * Records the provider's order id for the attempt and its payment (before its answer is acted upon).
 * True when it is recorded (or already was, with the same id: a notification may have been first).
 */
export async function recordAttemptReference(
  q: Queryable,
  attempt: Attempt,
  providerReference: string,
): Promise<boolean> {
  const rows = await q.query<Row>(
    `UPDATE payments SET provider_reference = $3, version = version + 1, updated_at = now()
     WHERE id = $1 AND provider = $2 AND provider_reference IS NULL AND saved_card_id = $4
     RETURNING id`,
    [attempt.paymentId, attempt.provider, providerReference, attempt.savedCardId],
  );
  if (rows.length === 0) {
    const current = await q.query<Row>('SELECT provider_reference FROM payments WHERE id = $1', [
      attempt.paymentId,
    ]);
    if (current[0]?.provider_reference !== providerReference) return false;
  }
  await q.query(`UPDATE saved_card_attempts SET provider_reference = $2, updated_at = now() WHERE id = $1`, [
    attempt.id,
    providerReference,
  ]);
  return true;
}

export async function setAttemptStatus(
  q: Queryable,
  attemptId: number,
  status: AttemptStatus,
  message?: string | null,
): Promise<void> {
  await q.query(
    `UPDATE saved_card_attempts SET status = $2, message = COALESCE($3, message), updated_at = now() WHERE id = $1`,
    [attemptId, status, message ? message.slice(0, 300) : null],
  );
}

/**
 * Nothing was charged (declined, card gone, refused): the payment goes back to waiting for a checkout,
 * so the shopper can pick another card or method and the Ecwid order stays payable. Only while the
 * payment is still this attempt's (a verified answer that moved it meanwhile wins).
 */
export async function reopenAfterAttempt(
  q: Queryable,
  attempt: Attempt,
  kind: 'saved_card_declined' | 'saved_card_gone' | 'saved_card_not_charged',
  message: string | null,
): Promise<boolean> {
  const rows = await q.query<Row>(
    `UPDATE payments SET state = 'created', provider = NULL, provider_reference = NULL, checkout_url = NULL,
        saved_card_id = NULL, version = version + 1, updated_at = now()
     WHERE id = $1 AND state = 'checkout_open' AND provider = $2 AND saved_card_id = $3
       AND provider_reference IS NOT DISTINCT FROM $4
     RETURNING id`,
    [attempt.paymentId, attempt.provider, attempt.savedCardId, attempt.providerReference],
  );
  if (rows.length === 0) return false;
  await q.query(
    `INSERT INTO payment_events (payment_id, kind, from_state, to_state, source, detail)
     VALUES ($1, $2, 'checkout_open', 'created', $3, $4)`,
    [
      attempt.paymentId,
      kind,
      `${attempt.provider}:saved_card`,
      JSON.stringify({
        savedCard: attempt.savedCardId,
        providerReference: attempt.providerReference,
        ...(message ? { message: message.slice(0, 300) } : {}),
      }),
    ],
  );
  return true;
}

/** A 3-D Secure challenge: the shopper is sent there, and back to it from the checkout step. */
export async function recordActionUrl(q: Queryable, attempt: Attempt, url: string): Promise<void> {
  await q.query(
    `UPDATE payments SET checkout_url = $3, version = version + 1, updated_at = now()
     WHERE id = $1 AND provider_reference = $2 AND state = 'checkout_open'`,
    [attempt.paymentId, attempt.providerReference, url],
  );
}

export async function inFlightAttempt(q: Queryable, paymentId: string): Promise<Attempt | null> {
  const rows = await q.query<Row>(
    `SELECT * FROM saved_card_attempts WHERE payment_id = $1 AND status IN ('charging', 'unknown', 'action_required')`,
    [paymentId],
  );
  return rows[0] ? toAttempt(rows[0]) : null;
}

export async function latestAttempt(q: Queryable, paymentId: string): Promise<Attempt | null> {
  const rows = await q.query<Row>(
    'SELECT * FROM saved_card_attempts WHERE payment_id = $1 ORDER BY id DESC LIMIT 1',
    [paymentId],
  );
  return rows[0] ? toAttempt(rows[0]) : null;
}

/** Whether a provider order is a saved-card charge of this payment (its notifications are special). */
export async function attemptByReference(
  q: Queryable,
  paymentId: string,
  providerReference: string,
): Promise<Attempt | null> {
  const rows = await q.query<Row>(
    'SELECT * FROM saved_card_attempts WHERE payment_id = $1 AND provider_reference = $2 ORDER BY id DESC LIMIT 1',
    [paymentId, providerReference],
  );
  return rows[0] ? toAttempt(rows[0]) : null;
}

/** A hosted checkout opened with card saving for this provider customer. */
export async function markCardSaving(q: Queryable, paymentId: string, customerId: string): Promise<void> {
  await q.query('UPDATE payments SET card_saving_customer_id = $2 WHERE id = $1', [paymentId, customerId]);
}

export async function cardSavingCustomer(q: Queryable, paymentId: string): Promise<string | null> {
  const rows = await q.query<Row>('SELECT card_saving_customer_id FROM payments WHERE id = $1', [paymentId]);
  return (rows[0]?.card_saving_customer_id as string | null | undefined) ?? null;
}

export async function findCustomerById(
  q: Queryable,
  provider: string,
  providerCustomerId: string,
): Promise<ProviderCustomer | null> {
  const rows = await q.query<Row>(
    'SELECT * FROM provider_customers WHERE provider = $1 AND provider_customer_id = $2',
    [provider, providerCustomerId],
  );
  return rows[0] ? toCustomer(rows[0]) : null;
}

/** The merchant dashboard: how many payments used a saved card, and how many of them were paid. */
export async function savedCardUsage(
  q: Queryable,
  storeId: number,
): Promise<{ payments: number; paid: number }> {
  const rows = await q.query<Row>(
    `SELECT count(*) AS payments,
            count(*) FILTER (WHERE state IN ('paid', 'refunded', 'partially_refunded')) AS paid
     FROM payments WHERE store_id = $1 AND saved_card_id IS NOT NULL`,
    [storeId],
  );
  return { payments: Number(rows[0]?.payments ?? 0), paid: Number(rows[0]?.paid ?? 0) };
}
