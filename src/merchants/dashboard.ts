import type { Queryable } from '../db';
import { PAYMENT_STATES, type PaymentState } from '../payments/model';

export interface DashboardRow {
  id: string;
  createdAt: Date;
  ecwidOrderId: string;
  amount: number;
  currency: string;
  provider: string | null;
  providerReference: string | null;
  state: PaymentState;
  refundedAmount: number;
  attention: string | null;
  /** Paid (or being paid) with a saved card. */
  savedCard: boolean;
  syncStatus: 'pending' | 'delivered' | 'failed' | null;
  syncError: string | null;
  syncHttpStatus: number | null;
}

export function isPaymentState(value: unknown): value is PaymentState {
  return typeof value === 'string' && (PAYMENT_STATES as readonly string[]).includes(value);
}

/** The store's recent payments with the state of their latest Ecwid update. */
export async function listPayments(
  q: Queryable,
  storeId: number,
  state?: PaymentState,
  limit = 50,
): Promise<DashboardRow[]> {
  const rows = await q.query<Record<string, unknown>>(
    `SELECT p.id, p.created_at, p.ecwid_order_id, p.amount, p.currency, p.provider, p.provider_reference, p.state,
            p.refunded_amount, p.attention, p.saved_card_id, u.status AS sync_status, u.last_error, u.last_http_status
     FROM payments p
     LEFT JOIN LATERAL (SELECT status, last_error, last_http_status FROM ecwid_updates e
                        WHERE e.payment_id = p.id ORDER BY e.id DESC LIMIT 1) u ON true
     WHERE p.store_id = $1 AND ($2::text IS NULL OR p.state = $2)
     ORDER BY p.created_at DESC LIMIT $3`,
    [storeId, state ?? null, limit],
  );
  return rows.map((r) => ({
    id: String(r.id),
    createdAt: new Date(r.created_at as string),
    ecwidOrderId: String(r.ecwid_order_id),
    amount: Number(r.amount),
    currency: String(r.currency).trim(),
    provider: (r.provider as string | null) ?? null,
    providerReference: (r.provider_reference as string | null) ?? null,
    state: r.state as PaymentState,
    refundedAmount: Number(r.refunded_amount),
    attention: (r.attention as string | null) ?? null,
    savedCard: r.saved_card_id !== null && r.saved_card_id !== undefined,
    syncStatus: (r.sync_status as DashboardRow['syncStatus']) ?? null,
    syncError: (r.last_error as string | null) ?? null,
    syncHttpStatus:
      r.last_http_status === null || r.last_http_status === undefined ? null : Number(r.last_http_status),
  }));
}
