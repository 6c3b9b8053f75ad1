import request from 'supertest';
import { processesOnPostgres, startChildApp, type ChildApp } from '../support/childProcess';
import { describeOnPostgres } from '../support/db';
import { eventually, paymentFlow } from '../support/flow';

/** What a child logged that nobody handled: unhandled rejections and anything at error level or above. */
const alarming = (child: ChildApp) =>
  child.logs.filter((l) => l.msg === 'unhandled rejection' || (typeof l.level === 'number' && l.level >= 50));

/**
 * Two app processes on one real PostgreSQL under duplicate notifications and a flaky Ecwid, and a
 * SIGKILL with several Ecwid updates in flight (the production topology of a scaled deployment).
 */
describeOnPostgres('several processes on one PostgreSQL, under load and faults', () => {
  const w = processesOnPostgres();
  const paidPuts = (storeId: number, ref: string) =>
    w.ecwid.state
      .updatesFor(storeId, ref)
      .filter((u) => u.status === 200 && (u.body as { paymentStatus?: string }).paymentStatus === 'PAID');

  it('50 payments × 5 concurrent duplicate notifications over two processes, Ecwid failing 20%: each PAID once', async () => {
    const [a, b] = await Promise.all([
      startChildApp({ ...w.env(), TEST_SYNC_BASE_DELAY_MS: '20' }),
      startChildApp({ ...w.env(), TEST_SYNC_BASE_DELAY_MS: '20' }),
    ]);
    w.children.push(a!, b!);
    const viaA = paymentFlow(a!.url, w.ecwid);
    const viaB = paymentFlow(b!.url, w.ecwid);

    // Checkouts alternate between the processes too.
    const payments = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const amount = 1000 + i;
        const started = await (i % 2 ? viaA : viaB).start({ currency: 'CLP', total: amount });
        const { reference } = await (i % 2 ? viaB : viaA).checkout(started.paymentId);
        return { ...started, reference, amount };
      }),
    );
    // One seeded sequence of 503s from Ecwid for the whole run (reproducible).
    w.ecwid.state.failRate(0.2, 503, 20251123);

    const answers = await Promise.all(
      payments.flatMap((p) =>
        Array.from({ length: 5 }, (_, k) =>
          (k % 2 ? viaA : viaB).notify({
            reference: p.reference,
            status: 'paid',
            amount: p.amount,
            currency: 'CLP',
            externalTransactionId: `pay_${p.paymentId}`,
          }),
        ),
      ),
    );
    expect(answers.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
    const results = answers.map((r) => (r.body as { result: string }).result);
    expect(results.filter((r) => r === 'applied')).toHaveLength(50);
    expect(results.filter((r) => r !== 'applied' && r !== 'unchanged')).toEqual([]);

    // Every payment reaches Ecwid despite the 503s, once.
    await eventually(
      async () => {
        const [left] = await w.t.db.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM ecwid_updates WHERE status <> 'delivered'",
        );
        expect(left!.n).toBe(0);
      },
      1200,
      25,
    );
    // Give both workers time to (wrongly) deliver again, then count.
    await new Promise((r) => setTimeout(r, 500));
    for (const p of payments) {
      const ref = p.json.cart.order.referenceTransactionId;
      expect(paidPuts(p.json.storeId, ref)).toHaveLength(1);
      expect(w.ecwid.state.getOrder(p.json.storeId, ref)!.paymentStatus).toBe('PAID');
    }
    expect(w.ecwid.state.updates.filter((u) => u.status === 200)).toHaveLength(50);
    // The faults really happened, and were retried.
    expect(w.ecwid.state.updates.filter((u) => u.fault === 'random_fail').length).toBeGreaterThan(0);

    const rows = await w.t.db.query<{ state: string; n: number }>(
      'SELECT state, count(*)::int AS n FROM payments GROUP BY state',
    );
    expect(rows).toEqual([{ state: 'paid', n: 50 }]);
    const [transitions] = await w.t.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM payment_events WHERE kind = 'transition' AND to_state = 'paid'",
    );
    expect(transitions!.n).toBe(50);
    const [outbox] = await w.t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM ecwid_updates');
    expect(outbox!.n).toBe(50);
    // Both processes took notifications, and nothing went unhandled in either.
    for (const [child, count] of [
      [a!, 100],
      [b!, 150],
    ] as const) {
      const notified = child.logs.filter(
        (l) => (l.req as { path?: string } | undefined)?.path === '/webhooks/double',
      );
      expect(notified).toHaveLength(count);
      expect(alarming(child)).toEqual([]);
    }
  }, 60_000);

  it('several acknowledged updates held by a hanging Ecwid survive a SIGKILL: each delivered once after restart', async () => {
    const first = await startChildApp({ ...w.env(), TEST_SYNC_LEASE_MS: '1500' });
    w.children.push(first);
    const flow = paymentFlow(first.url, w.ecwid);
    const payments = [];
    for (let i = 0; i < 5; i++) {
      const started = await flow.start({ currency: 'CLP', total: 3000 + i });
      const { reference } = await flow.checkout(started.paymentId);
      payments.push({ ...started, reference, amount: 3000 + i });
    }

    w.ecwid.state.hang = true;
    for (const p of payments) {
      const ack = await flow.notify({
        reference: p.reference,
        status: 'paid',
        amount: p.amount,
        currency: 'CLP',
      });
      expect(ack.status).toBe(200);
      expect(ack.body.result).toBe('applied');
    }
    // One PUT held by Ecwid, the others claimed (leased) or waiting behind it.
    await eventually(() => expect(w.ecwid.state.faults.held).toBeGreaterThan(0));
    await first.kill('SIGKILL');
    w.ecwid.state.hang = false;
    expect(w.ecwid.state.updates.filter((u) => u.status === 200)).toHaveLength(0);
    const pending = await w.t.db.query<{ status: string }>('SELECT status FROM ecwid_updates');
    expect(pending.map((r) => r.status)).toEqual(Array(5).fill('pending'));

    const second = await startChildApp(w.env());
    w.children.push(second);
    for (const p of payments) {
      const ref = p.json.cart.order.referenceTransactionId;
      await eventually(() => expect(paidPuts(p.json.storeId, ref)).toHaveLength(1));
    }
    await new Promise((r) => setTimeout(r, 300));
    for (const p of payments) {
      const ref = p.json.cart.order.referenceTransactionId;
      expect(paidPuts(p.json.storeId, ref)).toHaveLength(1);
      expect(w.ecwid.state.getOrder(p.json.storeId, ref)!.paymentStatus).toBe('PAID');
    }
    await eventually(async () => {
      const rows = await w.t.db.query<{ status: string }>('SELECT status FROM ecwid_updates');
      expect(rows.map((r) => r.status)).toEqual(Array(5).fill('delivered'));
    });
    // The killed process's held call was dropped, never answered.
    expect(w.ecwid.state.updates.filter((u) => u.fault === 'abandoned').length).toBeGreaterThan(0);
    expect(alarming(second)).toEqual([]);
  }, 60_000);

  it('a kill during checkout creation under concurrent shoppers leaves every payment retryable', async () => {
    const first = await startChildApp({ ...w.env(), TEST_DOUBLE_CHECKOUT_HANGS: 'true' });
    w.children.push(first);
    const flow = paymentFlow(first.url, w.ecwid);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await flow.start({ currency: 'CLP', total: 700 + i })).paymentId);
    const inFlight = ids.map((id) =>
      request(first.url)
        .get(`/pay/${id}/checkout`)
        .then(
          () => 'answered',
          () => 'connection lost',
        ),
    );
    await eventually(() =>
      expect(first.logs.filter((l) => l.msg === 'double checkout called')).toHaveLength(5),
    );
    await first.kill('SIGKILL');
    expect(await Promise.all(inFlight)).toEqual(Array(5).fill('connection lost'));
    const rows = await w.t.db.query<{ state: string }>('SELECT state FROM payments');
    expect(rows.map((r) => r.state)).toEqual(Array(5).fill('created'));

    const second = await startChildApp(w.env());
    w.children.push(second);
    for (const id of ids) {
      const res = await request(second.url).get(`/pay/${id}/checkout`);
      expect(res.status).toBe(303);
      expect(res.headers.location).toContain('pay.double.example');
    }
    const opened = await w.t.db.query<{ state: string }>('SELECT state FROM payments');
    expect(opened.map((r) => r.state)).toEqual(Array(5).fill('checkout_open'));
  }, 60_000);
});
