import type { SimOrderRecord } from '../../src/sandbox/conekta/state';
import { simulatedConekta, type ConektaWorld } from '../support/conekta';
import { testDatabases } from '../support/db';
import { eventually } from '../support/flow';
import { startWorld } from '../support/harness';
import {
  cardDataIn,
  cardsOnPage,
  dumpDatabase,
  follow,
  hop,
  notice,
  postForm,
  typedCard,
} from '../support/savedCards';

const KEY = 'key_SavedCardsConektaProbe9f3';
const STORE_TOKEN = 'secret_SavedCardsStoreToken77';
const CUSTOMER = 4242001;
const EMAIL = 'ana.returning@example.com';

describe.each(testDatabases())('Saved cards with Conekta, through the simulators, on %s', (kind) => {
  let w: ConektaWorld;

  beforeAll(async () => {
    w = await startWorld(kind, simulatedConekta({ privateKey: KEY, timeoutMs: 800 }));
  });
  afterAll(async () => {
    await w?.close();
  });
  beforeEach(async () => {
    await w.reset();
  });

  const start = (
    over: { customerId?: number | null; email?: string; total?: number; storeId?: number } = {},
  ) =>
    w.flow.start({
      currency: 'MXN',
      token: STORE_TOKEN,
      customerId: CUSTOMER,
      email: EMAIL,
      total: 512.3,
      ...over,
    });
  const savedCards = () =>
    w.t.db.query<{
      id: string;
      brand: string;
      last4: string;
      exp_month: number;
      exp_year: number;
      removed_at: unknown;
    }>('SELECT id, brand, last4, exp_month, exp_year, removed_at FROM saved_cards ORDER BY created_at');
  const orderOf = (paymentId: string) =>
    w.sim.state.listOrders().filter((r) => r.order.metadata.payment_id === paymentId);
  const customers = () => w.sim.state.listCustomers();

  /** First purchase of a logged-in shopper: the hosted page with card saving, card typed there. */
  async function firstPurchase(card = '4242 4242 4242 4242', save = true) {
    const s = await start();
    const checkout = await hop(`${w.url}/pay/${s.paymentId}/checkout`);
    expect(checkout.status).toBe(303);
    const record = orderOf(s.paymentId)[0] as SimOrderRecord;
    expect(checkout.location).toBe(record.order.checkout!.url);
    const page = await hop(record.order.checkout!.url);
    expect(page.html).toContain('id="save-card"');
    const paid = await postForm(
      `${record.order.checkout!.url}/card`,
      typedCard({ number: card, name: 'Ana Returning', expiry: '11/31', save }),
    );
    expect(paid.status).toBe(303);
    const back = await follow(paid.location!, w.url, (u) => !u.startsWith(w.url));
    return { ...s, record, back };
  }

  /** A second purchase reaching the checkout step that offers the saved cards. */
  async function returningCheckout(over: Parameters<typeof start>[0] = {}) {
    const s = await start(over);
    const step = await hop(`${w.url}/pay/${s.paymentId}/checkout`);
    return { ...s, step };
  }

  /** A card saved earlier on the shopper's Conekta customer (e.g. one the bank now declines). */
  function addSavedCardAtConekta(number: string) {
    const customer = customers()[0]!;
    return w.sim.state.addSource(customer.id, { number, holder: 'Ana Returning', expiry: '10/30' })!;
  }

  it('first purchase: a Conekta customer is created, the hosted page saves the card, recorded once paid', async () => {
    const s = await firstPurchase();
    expect(w.ecwidOrder(s.json)?.paymentStatus).toBe('PAID');
    const created = w.sim.state.requests.find((r) => r.method === 'POST' && r.path === '/customers')!;
    expect(created.body).toMatchObject({
      email: EMAIL,
      metadata: { ecwid_store_id: String(s.json.storeId), ecwid_customer_id: String(CUSTOMER) },
    });
    expect(s.record.order.customer_info).toMatchObject({ customer_id: customers()[0]!.id });
    expect(s.record.order.checkout).toMatchObject({ type: 'HostedPayment', on_demand_enabled: true });
    const cards = await savedCards();
    expect(cards).toEqual([
      expect.objectContaining({
        brand: 'visa',
        last4: '4242',
        exp_month: 11,
        exp_year: 2031,
        removed_at: null,
      }),
    ]);
    const stored = await w.t.db.query<{ provider_customer_id: string }>(
      'SELECT provider_customer_id FROM provider_customers',
    );
    expect(stored).toEqual([{ provider_customer_id: customers()[0]!.id }]);
  });

  it('a card the shopper did not ask to save is not kept', async () => {
    await firstPurchase('4242 4242 4242 4242', false);
    expect(await savedCards()).toEqual([]);
    const s = await returningCheckout();
    // No saved card: straight to the hosted page (with saving on again).
    expect(s.step.status).toBe(303);
    expect(s.step.location).toContain('/checkout/');
  });

  it('second purchase, paid: "Pay with Visa •••• 4242" charges the payment source once, Ecwid PAID', async () => {
    await firstPurchase();
    const s = await returningCheckout({ total: 99.5 });
    expect(s.step.status).toBe(200);
    const [card] = cardsOnPage(s.step.html);
    expect(card!.label).toBe('Pagar con Visa •••• 4242');
    expect(s.step.html).toContain('id="use-another-method"');
    // No inline script; the forms may lead (by redirect) to a 3-D Secure page or back to the store.
    expect(s.step.html).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(s.step.csp).toContain("script-src 'self'");
    expect(s.step.csp).toContain(`form-action 'self' https: ${new URL(s.json.returnUrl).origin}`);

    const paid = await postForm(`${w.url}/pay/${s.paymentId}/saved-cards/pay`, { t: card!.payToken });
    expect(paid.status).toBe(303);
    expect(paid.location).toBe(`/return/${s.paymentId}`);
    const back = await follow(paid.location!, w.url, (u) => !u.startsWith(w.url));
    expect(back.url).toBe(s.json.returnUrl);

    const [record] = orderOf(s.paymentId);
    expect(record!.order).toMatchObject({
      payment_status: 'paid',
      amount: 9950,
      customer_info: { customer_id: customers()[0]!.id },
      metadata: { payment_id: s.paymentId, saved_card: 'true' },
    });
    expect(record!.order.checkout).toBeUndefined();
    expect(record!.order.charges.data).toHaveLength(1);
    const p = await w.paymentRow(s.paymentId);
    expect(p).toMatchObject({ state: 'paid', provider: 'conekta', provider_reference: record!.order.id });
    expect(p.saved_card_id).toBe(card!.id);
    expect(w.ecwidOrder(s.json)).toMatchObject({
      paymentStatus: 'PAID',
      externalTransactionId: record!.order.charges.data[0]!.id,
    });
    const events = await w.t.db.query<{ kind: string; source: string; to_state: string }>(
      'SELECT kind, source, to_state FROM payment_events WHERE payment_id = $1 ORDER BY id',
      [s.paymentId],
    );
    expect(events.map((e) => `${e.kind}:${e.source}:${e.to_state}`)).toEqual([
      'created:ecwid:created',
      'checkout_opened:conekta:saved_card:checkout_open',
      'transition:conekta:saved_card:paid',
    ]);
  });

  it('declined saved card: the shopper sees the decline, the payment stays open, another method pays', async () => {
    await firstPurchase();
    addSavedCardAtConekta('4000000000000127');
    const s = await returningCheckout();
    const cards = cardsOnPage(s.step.html);
    expect(cards.map((c) => c.label)).toEqual(['Pagar con Visa •••• 4242', 'Pagar con Visa •••• 0127']);

    const before = w.ecwidOrder(s.json)?.paymentStatus;
    const declined = await postForm(`${w.url}/pay/${s.paymentId}/saved-cards/pay`, { t: cards[1]!.payToken });
    expect(declined.status).toBe(303);
    expect(declined.location).toBe(`/pay/${s.paymentId}/checkout?provider=conekta`);
    expect(await w.paymentRow(s.paymentId)).toMatchObject({
      state: 'created',
      provider: null,
      provider_reference: null,
    });
    await w.sim.state.settled();
    // Ecwid is not told anything: its order stays as it was, payable.
    expect(w.ecwidOrder(s.json)?.paymentStatus).toBe(before);
    expect(w.ecwidUpdates(s.json)).toEqual([]);

    const again = await hop(`${w.url}${declined.location}`);
    expect(again.status).toBe(200);
    expect(notice(again.html)).toContain('El banco rechazó la tarjeta Visa •••• 0127. Fondos insuficientes.');
    // The shopper chooses another method: Conekta's hosted page, paid there.
    const other = await hop(`${w.url}/pay/${s.paymentId}/checkout?provider=conekta&method=other`);
    expect(other.status).toBe(303);
    const hosted = orderOf(s.paymentId).find((r) => r.order.checkout)!;
    const paid = await postForm(
      `${hosted.order.checkout!.url}/card`,
      typedCard({ number: '4242424242424242', name: 'Ana', expiry: '11/31' }),
    );
    await follow(paid.location!, w.url, (u) => !u.startsWith(w.url));
    expect(w.ecwidOrder(s.json)?.paymentStatus).toBe('PAID');
    expect((await w.paymentRow(s.paymentId)).provider_reference).toBe(hosted.order.id);
  });

  it('3-D Secure: the challenge is followed and its return verified by re-fetching the order → PAID', async () => {
    await firstPurchase();
    addSavedCardAtConekta('4000000000001091');
    const s = await returningCheckout();
    const card = cardsOnPage(s.step.html).find((c) => c.label.endsWith('1091'))!;
    const sent = await postForm(`${w.url}/pay/${s.paymentId}/saved-cards/pay`, { t: card.payToken });
    expect(sent.status).toBe(303);
    expect(sent.location).toMatch(new RegExp(`^${w.sim.url}/three-ds/`));
    expect((await w.paymentRow(s.paymentId)).state).toBe('checkout_open');
    // Back at the checkout step meanwhile: sent to the challenge again, never a second charge.
    expect((await hop(`${w.url}/pay/${s.paymentId}/checkout`)).location).toBe(`/return/${s.paymentId}`);

    const challenge = await hop(sent.location!);
    expect(challenge.html).toContain('id="three-ds-approve"');
    const done = await postForm(sent.location!, { action: 'approve' });
    expect(done.status).toBe(303);
    expect(done.location!.startsWith(`${w.url}/return/${s.paymentId}`)).toBe(true);
    // The query Conekta adds says "paid", but only the re-fetched order counts.
    const back = await follow(done.location!, w.url, (u) => !u.startsWith(w.url));
    expect(back.url).toBe(s.json.returnUrl);
    expect(w.ecwidOrder(s.json)?.paymentStatus).toBe('PAID');
    expect(orderOf(s.paymentId)[0]!.order.charges.data).toHaveLength(1);
  });

  it('3-D Secure failed: the re-fetched order is declined, the shopper is back on the saved-card step, Ecwid payable', async () => {
    await firstPurchase();
    addSavedCardAtConekta('4000000000001091');
    const s = await returningCheckout();
    const before = w.ecwidOrder(s.json)?.paymentStatus;
    const card = cardsOnPage(s.step.html).find((c) => c.label.endsWith('1091'))!;
    const sent = await postForm(`${w.url}/pay/${s.paymentId}/saved-cards/pay`, { t: card.payToken });
    expect(sent.location).toMatch(new RegExp(`^${w.sim.url}/three-ds/`));
    const done = await postForm(sent.location!, { action: 'fail' });
    expect(done.location!.startsWith(`${w.url}/return/${s.paymentId}`)).toBe(true);
    // The return re-fetches the order (declined): back to the checkout step, not to the store.
    const back = await hop(done.location!);
    expect(back.status).toBe(303);
    expect(back.location).toBe(`/pay/${s.paymentId}/checkout?provider=conekta`);
    expect(await w.paymentRow(s.paymentId)).toMatchObject({
      state: 'created',
      provider: null,
      provider_reference: null,
    });
    const attempts = await w.t.db.query<{ status: string; message: string | null }>(
      'SELECT status, message FROM saved_card_attempts ORDER BY id',
    );
    expect(attempts).toEqual([{ status: 'declined', message: 'La autenticación 3-D Secure falló.' }]);
    const step = await hop(`${w.url}${back.location}`);
    expect(step.status).toBe(200);
    expect(notice(step.html)).toBe(
      'El banco rechazó la tarjeta Visa •••• 1091. La autenticación 3-D Secure falló. No se hizo ningún cargo: elige otra tarjeta u otro medio de pago.',
    );
    expect(step.html).toContain('Usar otro medio de pago');
    // Conekta's order.declined notification (delivered meanwhile) changed nothing; Ecwid never told.
    await w.sim.state.settled();
    expect(w.sim.state.deliveries.some((d) => d.type === 'order.declined' && d.status === 200)).toBe(true);
    expect((await w.paymentRow(s.paymentId)).state).toBe('created');
    expect(w.ecwidOrder(s.json)?.paymentStatus).toBe(before);
    expect(w.ecwidUpdates(s.json)).toEqual([]);
    // A second return (the browser's back button) changes nothing either.
    expect((await hop(done.location!)).location).toBe(`/pay/${s.paymentId}/checkout`);
    // The other card still pays the same Ecwid order.
    const other = cardsOnPage(step.html).find((c) => c.label.endsWith('4242'))!;
    const paid = await postForm(`${w.url}/pay/${s.paymentId}/saved-cards/pay`, { t: other.payToken });
    const final = await follow(paid.location!, w.url, (u) => !u.startsWith(w.url));
    expect(final.url).toBe(s.json.returnUrl);
    expect(w.ecwidOrder(s.json)?.paymentStatus).toBe('PAID');
  });

  it('removal from the checkout step deletes the card at Conekta too', async () => {
    await firstPurchase();
    const s = await returningCheckout();
    const [card] = cardsOnPage(s.step.html);
    const removed = await postForm(`${w.url}/pay/${s.paymentId}/saved-cards/remove`, {
      t: card!.removeToken,
    });
    expect(removed.status).toBe(303);
    expect(removed.location).toBe(`/pay/${s.paymentId}/checkout?provider=conekta&notice=removed`);
    expect(customers()[0]!.payment_sources.data).toEqual([]);
    expect(w.sim.state.requests.some((r) => r.method === 'DELETE' && r.path.startsWith('/customers/'))).toBe(
      true,
    );
    expect((await savedCards())[0]!.removed_at).not.toBeNull();
    // No card left: the next checkout step is the hosted page.
    const next = await hop(`${w.url}${removed.location}`);
    expect(next.status).toBe(303);
    expect(next.location).toContain('/checkout/');
  });

  it('the merchant switch turns the feature off: no customer, no saved cards offered', async () => {
    await firstPurchase();
    await w.t.db.query(`UPDATE stores SET settings = $1`, [
      JSON.stringify({ enabledProviders: ['conekta'], providers: {}, savedCards: false }),
    ]);
    const before = customers().length;
    const s = await returningCheckout();
    expect(s.step.status).toBe(303);
    const record = orderOf(s.paymentId)[0]!;
    expect(s.step.location).toBe(record.order.checkout!.url);
    expect(record.order.customer_info.customer_id).toBeUndefined();
    expect(record.order.checkout).not.toHaveProperty('on_demand_enabled');
    expect(customers()).toHaveLength(before);
  });

  it('the provider timing out on the charge: resolved by re-fetching the order, charged once', async () => {
    await firstPurchase();
    const s = await returningCheckout();
    const [card] = cardsOnPage(s.step.html);
    w.sim.state.lateChargeAnswers(2_000); // charged at once, answered after the app's 800 ms timeout
    const sent = await postForm(`${w.url}/pay/${s.paymentId}/saved-cards/pay`, { t: card!.payToken });
    expect(sent.location).toBe(`/return/${s.paymentId}`);
    expect((await w.paymentRow(s.paymentId)).state).toBe('paid');
    // The shopper clicks again (another tab, an old page): nothing more is charged.
    const fresh = await hop(`${w.url}/pay/${s.paymentId}/checkout`);
    expect(fresh.status).toBe(303);
    expect(orderOf(s.paymentId)).toHaveLength(1);
    expect(orderOf(s.paymentId)[0]!.order.charges.data).toHaveLength(1);
    expect(w.sim.state.requests.filter((r) => r.path.endsWith('/charges'))).toHaveLength(1);
    const back = await follow(`/return/${s.paymentId}`, w.url, (u) => !u.startsWith(w.url));
    expect(back.url).toBe(s.json.returnUrl);
  });

  it('timeout and Conekta unreachable right after: outcome unknown, processing page, settled by the next re-fetch', async () => {
    await firstPurchase();
    const s = await returningCheckout();
    const [card] = cardsOnPage(s.step.html);
    w.sim.state.lateChargeAnswers(2_000);
    w.sim.state.knobs.holdWebhooks = true; // no notification settles it meanwhile
    // The charge answer is lost, then both tries of the order's re-fetch fail.
    const failGets = () => w.sim.state.failNext(2, 503);
    const sending = postForm(`${w.url}/pay/${s.paymentId}/saved-cards/pay`, { t: card!.payToken });
    await eventually(() => {
      if (!w.sim.state.requests.some((r) => r.path.endsWith('/charges'))) throw new Error('no charge yet');
    });
    failGets();
    const sent = await sending;
    expect(sent.location).toBe(`/return/${s.paymentId}`);
    const attempts = await w.t.db.query<{ status: string }>('SELECT status FROM saved_card_attempts');
    expect(attempts).toEqual([{ status: 'unknown' }]);
    // A second confirmation with another token (another tab) is not a second charge.
    const second = await hop(`${w.url}/pay/${s.paymentId}/checkout`);
    expect(second.location).toBe(`/return/${s.paymentId}`);
    // The return re-fetches the order: paid.
    w.sim.state.lateChargeAnswers(0);
    const back = await follow(`/return/${s.paymentId}`, w.url, (u) => !u.startsWith(w.url));
    expect(back.url).toBe(s.json.returnUrl);
    expect((await w.paymentRow(s.paymentId)).state).toBe('paid');
    expect(w.sim.state.requests.filter((r) => r.path.endsWith('/charges'))).toHaveLength(1);
  });

  /** Makes the payment's saved-card attempt look `minutes` old, and the payment due for reconciliation. */
  async function age(paymentId: string, minutes: number) {
    await w.t.db.query(
      `UPDATE saved_card_attempts SET created_at = now() - make_interval(mins => $2) WHERE payment_id = $1`,
      [paymentId, minutes],
    );
    await w.t.db.query(
      `UPDATE payments SET updated_at = now() - make_interval(mins => $2), next_check_at = NULL WHERE id = $1`,
      [paymentId, minutes],
    );
  }
  const cancelCalls = () =>
    w.sim.state.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/cancel'));

  it('a charge that never reached Conekta: once stale, the order is cancelled at Conekta and the payment released', async () => {
    await firstPurchase();
    const s = await returningCheckout();
    const before = w.ecwidOrder(s.json)?.paymentStatus;
    const [card] = cardsOnPage(s.step.html);
    w.sim.state.dropNextCharges(1); // the charge request is lost on the way: Conekta never sees it
    const sent = await postForm(`${w.url}/pay/${s.paymentId}/saved-cards/pay`, { t: card!.payToken });
    expect(sent.location).toBe(`/return/${s.paymentId}`);
    const [order] = orderOf(s.paymentId);
    expect(order!.order.charges.data).toEqual([]);
    expect(await w.t.db.query('SELECT status FROM saved_card_attempts')).toEqual([{ status: 'unknown' }]);
    // Too recent: the reconciler re-fetches the order (no charge) and leaves it alone.
    await age(s.paymentId, 12);
    expect(await w.app.reconciler.runOnce()).toEqual({ checked: 1, changed: 0 });
    expect(cancelCalls()).toHaveLength(0);
    expect(await w.paymentRow(s.paymentId)).toMatchObject({ state: 'checkout_open', provider: 'conekta' });
    // Still nothing else can be charged for this payment meanwhile.
    expect((await hop(`${w.url}/pay/${s.paymentId}/checkout`)).location).toBe(`/return/${s.paymentId}`);

    // Past the safe age: cancelled at Conekta, then released (back to the checkout step).
    await age(s.paymentId, 16);
    expect(await w.app.reconciler.runOnce()).toEqual({ checked: 1, changed: 1 });
    expect(cancelCalls()).toHaveLength(1);
    expect(w.sim.state.getOrder(order!.order.id)!.order.payment_status).toBe('canceled');
    expect(await w.paymentRow(s.paymentId)).toMatchObject({
      state: 'created',
      provider: null,
      provider_reference: null,
      saved_card_id: null,
    });
    expect(await w.t.db.query('SELECT status FROM saved_card_attempts')).toEqual([{ status: 'not_charged' }]);
    // Conekta's order.canceled notification changes nothing; Ecwid was never told anything.
    await w.sim.state.settled();
    expect(w.sim.state.deliveries.some((d) => d.type === 'order.canceled' && d.status === 200)).toBe(true);
    expect((await w.paymentRow(s.paymentId)).state).toBe('created');
    expect(w.ecwidOrder(s.json)?.paymentStatus).toBe(before);
    expect(w.ecwidUpdates(s.json)).toEqual([]);
    // A charge request arriving late at the cancelled order is refused by Conekta.
    const late = await fetch(`${w.sim.url}/orders/${order!.order.id}/charges`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        payment_method: { type: 'card', payment_source_id: customers()[0]!.payment_sources.data[0]!.id },
      }),
    });
    expect(late.status).toBe(428);
    // The shopper (processing page → return) is back on the checkout step and pays once.
    expect((await hop(`${w.url}/return/${s.paymentId}`)).location).toBe(`/pay/${s.paymentId}/checkout`);
    const step = await hop(`${w.url}/pay/${s.paymentId}/checkout`);
    expect(notice(step.html)).toContain('No pudimos cobrar la tarjeta Visa •••• 4242');
    const again = cardsOnPage(step.html)[0]!;
    const paid = await postForm(`${w.url}/pay/${s.paymentId}/saved-cards/pay`, { t: again.payToken });
    const back = await follow(paid.location!, w.url, (u) => !u.startsWith(w.url));
    expect(back.url).toBe(s.json.returnUrl);
    expect(w.ecwidOrder(s.json)?.paymentStatus).toBe('PAID');
    const charges = orderOf(s.paymentId).flatMap((r) => r.order.charges.data);
    expect(charges.map((c) => c.status)).toEqual(['paid']);
  });

  it('a stale order that shows a charge is never cancelled; Conekta refuses cancelling a paid order', async () => {
    const first = await firstPurchase();
    addSavedCardAtConekta('4000000000001091');
    const s = await returningCheckout();
    const card = cardsOnPage(s.step.html).find((c) => c.label.endsWith('1091'))!;
    w.sim.state.lateChargeAnswers(2_000); // the challenged charge is made, its answer is lost…
    w.sim.state.knobs.holdWebhooks = true;
    const sending = postForm(`${w.url}/pay/${s.paymentId}/saved-cards/pay`, { t: card.payToken });
    await eventually(() => {
      if (!w.sim.state.requests.some((r) => r.path.endsWith('/charges'))) throw new Error('no charge yet');
    });
    w.sim.state.failNext(2, 503); // …and so is the order's re-fetch: outcome unknown
    expect((await sending).location).toBe(`/return/${s.paymentId}`);
    w.sim.state.lateChargeAnswers(0);
    expect(await w.t.db.query('SELECT status FROM saved_card_attempts')).toEqual([{ status: 'unknown' }]);
    await age(s.paymentId, 30);
    await w.app.reconciler.runOnce();
    // The order has a (pending) charge: never cancelled, the payment stays in flight.
    expect(cancelCalls()).toHaveLength(0);
    expect(orderOf(s.paymentId)[0]!.order.payment_status).not.toBe('canceled');
    expect(await w.paymentRow(s.paymentId)).toMatchObject({ state: 'checkout_open', provider: 'conekta' });
    expect(await w.t.db.query('SELECT status FROM saved_card_attempts')).toEqual([{ status: 'unknown' }]);

    // Conekta's cancel refuses a paid order (the first purchase's), which stays paid.
    const refused = await fetch(`${w.sim.url}/orders/${first.record.order.id}/cancel`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(refused.status).toBe(428);
    expect(w.sim.state.getOrder(first.record.order.id)!.order.payment_status).toBe('paid');
  });

  it('no card number or CVC ever reaches our server, its logs or its database', async () => {
    await firstPurchase();
    addSavedCardAtConekta('4000000000000127');
    addSavedCardAtConekta('4000000000001091');
    const s = await returningCheckout();
    const cards = cardsOnPage(s.step.html);
    await postForm(`${w.url}/pay/${s.paymentId}/saved-cards/pay`, {
      t: cards.find((c) => c.label.endsWith('0127'))!.payToken,
    });
    const again = await hop(`${w.url}/pay/${s.paymentId}/checkout?provider=conekta`);
    const remaining = cardsOnPage(again.html);
    const sent = await postForm(`${w.url}/pay/${s.paymentId}/saved-cards/pay`, {
      t: remaining.find((c) => c.label.endsWith('1091'))!.payToken,
    });
    const done = await postForm(sent.location!, { action: 'approve' });
    await follow(done.location!, w.url, (u) => !u.startsWith(w.url));
    await w.sim.state.settled();

    // The card numbers were typed (the simulator's hosted page saw them), yet none reached us.
    expect(w.proxy.requests.length).toBeGreaterThan(10);
    const requests = w.proxy.requests.map(
      (r) => `${r.method} ${r.url} ${JSON.stringify(r.headers)} ${r.body}`,
    );
    expect(requests.flatMap(cardDataIn)).toEqual([]);
    expect(cardDataIn(w.app.logs.text)).toEqual([]);
    const dump = await dumpDatabase(w.t.db, w.secrets);
    expect(dump).toContain('4242'); // last 4 digits for display, by design
    expect(cardDataIn(dump)).toEqual([]);
  });
});
