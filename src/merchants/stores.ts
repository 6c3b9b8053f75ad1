import type { Queryable } from '../db';

export interface Store {
  storeId: number;
  tokenSealed: string | null;
  settings: Record<string, unknown> | null;
}

interface StoreRow {
  store_id: number | string;
  token_sealed: string | null;
  settings: Record<string, unknown> | string | null;
}

/** Remembers the store and its latest (sealed) Ecwid access token. */
export async function saveStoreToken(q: Queryable, storeId: number, tokenSealed: string): Promise<void> {
  await q.query(
    `INSERT INTO stores (store_id, token_sealed) VALUES ($1, $2)
     ON CONFLICT (store_id) DO UPDATE SET token_sealed = EXCLUDED.token_sealed, updated_at = now()`,
    [storeId, tokenSealed],
  );
}

export async function findStore(q: Queryable, storeId: number): Promise<Store | null> {
  const rows = await q.query<StoreRow>(
    'SELECT store_id, token_sealed, settings FROM stores WHERE store_id = $1',
    [storeId],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    storeId: Number(row.store_id),
    tokenSealed: row.token_sealed,
    settings:
      typeof row.settings === 'string' ? (JSON.parse(row.settings) as Record<string, unknown>) : row.settings,
  };
}

export async function saveStoreSettings(q: Queryable, storeId: number, settings: unknown): Promise<void> {
  await q.query(
    `INSERT INTO stores (store_id, settings) VALUES ($1, $2)
     ON CONFLICT (store_id) DO UPDATE SET settings = EXCLUDED.settings, updated_at = now()`,
    [storeId, JSON.stringify(settings)],
  );
}

export async function recordInstall(q: Queryable, storeId: number): Promise<void> {
  await q.query(
    `INSERT INTO stores (store_id, installed_at) VALUES ($1, now())
     ON CONFLICT (store_id) DO UPDATE SET installed_at = now(), uninstalled_at = NULL, updated_at = now()`,
    [storeId],
  );
}

/**
 * The app was uninstalled: the token no longer works and the merchant's secrets must go. Pending
 * Ecwid updates are closed as failed (they would only meet 403s).
 */
export async function purgeStore(
  q: Queryable,
  storeId: number,
  settingsWithoutSecrets: unknown,
): Promise<void> {
  await q.query(
    `UPDATE stores SET token_sealed = NULL, settings = $2, uninstalled_at = now(), updated_at = now()
     WHERE store_id = $1`,
    [storeId, settingsWithoutSecrets === null ? null : JSON.stringify(settingsWithoutSecrets)],
  );
  await q.query(
    `UPDATE ecwid_updates SET status = 'failed', locked_until = NULL, last_error = 'the app was uninstalled from this store'
     WHERE store_id = $1 AND status = 'pending'`,
    [storeId],
  );
}
