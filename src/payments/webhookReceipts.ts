import type { Queryable } from '../db';

/**
 * Remembers a provider's notification id. Returns false when it was already seen (a replay or a
 * duplicate delivery), true the first time. Safe across processes (primary key).
 */
export async function firstReceipt(q: Queryable, provider: string, receiptId: string): Promise<boolean> {
  const rows = await q.query(
    `INSERT INTO webhook_receipts (provider, receipt_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING receipt_id`,
    [provider, receiptId],
  );
  return rows.length > 0;
}

/** Forgets a receipt whose processing failed, so the provider's retry is not refused as a replay. */
export async function forgetReceipt(q: Queryable, provider: string, receiptId: string): Promise<void> {
  await q.query('DELETE FROM webhook_receipts WHERE provider = $1 AND receipt_id = $2', [
    provider,
    receiptId,
  ]);
}
