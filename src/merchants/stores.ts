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
