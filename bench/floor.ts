/**
 * Floors: the I/O of scenarios 1 and 3 with none of the app's work, on the bare Express app, so the
 * report can say how much of the machine the targets leave for the app itself.
 *
 * - `POST /floor/payment`: the same encrypted form as scenario 1 parsed by Express's urlencoded parser,
 *   one prepared INSERT of a 1 KB value (the sealed order's size) and a page as large as the app's.
 *   No decryption, validation, sealing, template, security headers, rate limit nor log line.
 * - `POST /floor/notification`: a small JSON body, one HTTP GET to a bare server (the re-fetch of a
 *   verified notification), one UPDATE, one HTTP PUT to that server (the Ecwid update), then 200.
 *   No signature, schema, state machine, outbox, event nor log line.
 */
import type { AddressInfo } from 'node:net';
import axios from 'axios';
import express, { type Express } from 'express';
import type { Db } from '../src/db';

export interface Floors {
  /** Extra rows the floors write, and the bare "remote" server they call. */
  close(): Promise<void>;
}

export async function mountFloors(bare: Express, db: Db, pageBytes: number): Promise<Floors> {
  await db.exec('CREATE TABLE bench_floor (id text PRIMARY KEY, payload text NOT NULL, state text NOT NULL)');
  const page = `<!doctype html>${'x'.repeat(Math.max(0, pageBytes - 15))}`;
  let seq = 0;
  bare.post('/floor/payment', express.urlencoded({ extended: false, limit: '2mb' }), async (req, res) => {
    const body = req.body as { enc_data?: string };
    const id = `p${seq++}`;
    await db.query('INSERT INTO bench_floor (id, payload, state) VALUES ($1, $2, $3)', [
      id,
      (body.enc_data ?? '').slice(0, 1024),
      'created',
    ]);
    res.type('html').send(page);
  });

  const remote = express();
  remote.get('/orders/:id', (req, res) => void res.json({ id: req.params.id, status: 'paid' }));
  remote.put('/orders/:id', express.json(), (_req, res) => void res.json({ updateCount: 1 }));
  const remoteServer = remote.listen(0, '127.0.0.1');
  await new Promise((resolve) => remoteServer.once('listening', resolve));
  const remoteUrl = `http://127.0.0.1:${(remoteServer.address() as AddressInfo).port}`;

  // Like the app's provider and Ecwid clients: no redirect following (axios's redirect wrapper is costly).
  const http = axios.create({ baseURL: remoteUrl, maxRedirects: 0 });
  bare.post('/floor/notification', express.json(), async (req, res) => {
    const id = String((req.body as { id?: unknown }).id);
    const order = await http.get<{ status: string }>(`/orders/${encodeURIComponent(id)}`);
    await db.query('UPDATE bench_floor SET state = $2 WHERE id = $1', [id, order.data.status]);
    await http.put(`/orders/${encodeURIComponent(id)}`, { paymentStatus: 'PAID' });
    res.json({ received: true });
  });

  return {
    async close() {
      await new Promise((resolve) => remoteServer.close(resolve));
      await db.exec('DROP TABLE bench_floor');
    },
  };
}
