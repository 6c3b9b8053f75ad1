import request from 'supertest';
import { processesOnPostgres, startChildApp } from '../support/childProcess';
import { describeOnPostgres } from '../support/db';
import { eventually, paymentFlow } from '../support/flow';

/** Two app processes on one real PostgreSQL (the production topology of a scaled deployment). */
describeOnPostgres('several processes on one PostgreSQL', () => {
  const w = processesOnPostgres();
  const putsOf = (storeId: number, ref: string) =>
    w.ecwid.state.updatesFor(storeId, ref).filter((u) => u.status === 200);

  it('concurrent duplicate notifications across two processes: one transition and one Ecwid PUT each', async () => {
    const [a, b] = await Promise.all([startChildApp(w.env()), startChildApp(w.env())]);
    w.children.push(a!, b!);
    const viaA = paymentFlow(a!.url, w.ecwid);
    const viaB = paymentFlow(b!.url, w.ecwid);

    const payments = [];
    for (let i = 0; i < 10; i++) {
      const started = await viaA.start({ currency: 'CLP', total: 1000 + i });
      const { reference } = await viaB.checkout(started.paymentId);
      payments.push({ ...started, reference, amount: 1000 + i });
    }
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
    expect(answers.every((r) => r.status === 200)).toBe(true);
    expect(answers.filter((r) => r.body.result === 'applied')).toHaveLength(10);

    for (const p of payments) {
      await eventually(() =>
        expect(putsOf(p.json.storeId, p.json.cart.order.referenceTransactionId)).toHaveLength(1),
      );
    }
    const transitions = await w.t.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM payment_events WHERE kind = 'transition'",
    );
    expect(transitions[0]!.n).toBe(10);
    // Give both workers time to (wrongly) deliver again, then count once more.
    await new Promise((r) => setTimeout(r, 500));
    expect(w.ecwid.state.updates.filter((u) => u.status === 200)).toHaveLength(10);
    for (const child of w.children)
      expect(child.logs.filter((l) => l.msg === 'unhandled rejection')).toHaveLength(0);
  });

  it('an update acknowledged but not delivered survives a SIGKILL and is delivered once after restart', async () => {
    const first = await startChildApp({ ...w.env(), TEST_SYNC_LEASE_MS: '1500' });
    w.children.push(first);
    const flow = paymentFlow(first.url, w.ecwid);
    const { json, paymentId } = await flow.start({ currency: 'CLP', total: 2500 });
    const { reference } = await flow.checkout(paymentId);

    w.ecwid.state.hang = true;
    const ack = await flow.notify({ reference, status: 'paid', amount: 2500, currency: 'CLP' });
    expect(ack.status).toBe(200);
    // The worker has the update in flight, held by Ecwid.
    await eventually(() => expect(w.ecwid.state.faults.held).toBeGreaterThan(0));
    await first.kill('SIGKILL');
    w.ecwid.state.hang = false;
    const ref = json.cart.order.referenceTransactionId;
    expect(putsOf(json.storeId, ref)).toHaveLength(0);
    const [pending] = await w.t.db.query<{ status: string }>('SELECT status FROM ecwid_updates');
    expect(pending!.status).toBe('pending');

    const second = await startChildApp(w.env());
    w.children.push(second);
    await eventually(() => expect(putsOf(json.storeId, ref)).toHaveLength(1));
    expect(w.ecwid.state.getOrder(json.storeId, ref)!.paymentStatus).toBe('PAID');
    await new Promise((r) => setTimeout(r, 300));
    expect(putsOf(json.storeId, ref)).toHaveLength(1);
    await eventually(async () => {
      const [delivered] = await w.t.db.query<{ status: string }>('SELECT status FROM ecwid_updates');
      expect(delivered!.status).toBe('delivered');
    });
    // The held call of the killed process was dropped; the restarted one delivered exactly once.
    const all = w.ecwid.state.updatesFor(json.storeId, ref);
    expect(all.map((u) => u.status)).toEqual([null, 200]);
    expect(all[0]!.fault).toBe('abandoned');
  });

  it('a kill during checkout creation leaves the payment retryable', async () => {
    const first = await startChildApp({ ...w.env(), TEST_DOUBLE_CHECKOUT_HANGS: 'true' });
    w.children.push(first);
    const { paymentId } = await paymentFlow(first.url, w.ecwid).start({ currency: 'CLP', total: 900 });
    // The provider call never answers; the process dies in the middle of it.
    const inFlight = request(first.url)
      .get(`/pay/${paymentId}/checkout`)
      .then(
        () => 'answered',
        () => 'connection lost',
      );
    await eventually(() => expect(first.logs.some((l) => l.msg === 'double checkout called')).toBe(true));
    await first.kill('SIGKILL');
    expect(await inFlight).toBe('connection lost');
    const [row] = await w.t.db.query<{ state: string }>('SELECT state FROM payments WHERE id = $1', [
      paymentId,
    ]);
    expect(row!.state).toBe('created');
    const second = await startChildApp(w.env());
    w.children.push(second);
    const res = await request(second.url).get(`/pay/${paymentId}/checkout`);
    expect(res.status).toBe(303);
    expect(res.headers.location).toContain('pay.double.example');
  });
});
