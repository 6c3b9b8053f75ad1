import { createEcartPayProvider } from '../../src/providers/ecartpay/provider';
import { startEcartPaySimulator, type RunningEcartPaySimulator } from '../../src/sandbox/ecartpay/server';
import { testDatabases } from '../support/db';
import { eventually } from '../support/flow';
import {
  cardDataIn,
  cardsOnPage,
  dumpDatabase,
  follow,
  hop,
  notice,
  postForm,
  startWorld,
  TEST_CVC,
  type World,
} from '../support/savedCards';

const PUBLIC_KEY = 'pub_saved_cards_ecart_5e1';
const PRIVATE_KEY = 'prv_saved_cards_ecart_7a2b9c';
const WEBHOOK_SECRET = 'whsec_saved_cards_ecart_31';
const CUSTOMER = 7700001;
const EMAIL = 'bruno.returning@example.com';

describe.each(testDatabases())('Saved cards with Ecart Pay, through the simulators, on %s', (kind) => {
  let w: World;
  let sim: RunningEcartPaySimulator;

  beforeAll(async () => {
    sim = await startEcartPaySimulator({
      publicKey: PUBLIC_KEY,
      privateKey: PRIVATE_KEY,
      webhookSecret: WEBHOOK_SECRET,
    });
    w = await startWorld(
      kind,
      (db) => [
        createEcartPayProvider({
          apiUrl: sim.apiUrl,
          publicKey: PUBLIC_KEY,
          privateKey: PRIVATE_KEY,
          webhookSecret: WEBHOOK_SECRET,
          db,
          timeoutMs: 800,
        }),
      ],
      ['ecartpay'],
    );
  });
  afterAll(async () => {
    await w?.close();
    await sim?.close();
  });
  beforeEach(async () => {
    sim.state.reset();
    sim.state.retryDelaysMs = [50, 50, 50];
    await w.t.reset();
    w.ecwid.state.reset();
    w.proxy.requests.length = 0;
  });

  const start = (over: { customerId?: number | null; email?: string; total?: number } = {}) =>
    w.flow.start({ currency: 'MXN', customerId: CUSTOMER, email: EMAIL, total: 640.1, ...over });
  const ecwidOrder = (json: { storeId: number; cart: { order: { referenceTransactionId: string } } }) =>
    w.ecwid.state.getOrder(json.storeId, json.cart.order.referenceTransactionId);
  const payment = async (id: string) =>
    (
      await w.t.db.query<{
        state: string;
        provider: string | null;
        provider_reference: string | null;
        saved_card_id: string | null;
      }>('SELECT state, provider, provider_reference, saved_card_id FROM payments WHERE id = $1', [id])
    )[0]!;
  const customer = () => sim.state.listCustomers()[0]!;
  const ordersWithToken = () =>
    sim.state.callsTo('createOrder').filter((c) => (c.body as { token?: string }).token);

  async function firstPurchase(save = true) {
    const s = await start();
    const checkout = await hop(`${w.url}/pay/${s.paymentId}/checkout`);
    expect(checkout.status).toBe(303);
    const orderId = new URL(checkout.location!).searchParams.get('id')!;
    const page = await hop(checkout.location!);
    expect(page.html).toContain('id="ecartpay-card-form"');
    const paid = await postForm(`${sim.url}/checkout/${orderId}`, {
      action: 'card',
      lang: 'es',
      card_number: '4242 4242 4242 4242',
      card_name: 'Bruno Returning',
      card_expiry: '08/32',
      card_cvc: TEST_CVC,
      ...(save ? { save_card: 'on' } : {}),
    });
    expect(paid.status).toBe(303);
    const back = await follow(paid.location!, w.url, (u) => !u.startsWith(w.url));
    return { ...s, orderId, back };
  }

  async function returningCheckout(over: Parameters<typeof start>[0] = {}) {
    const s = await start(over);
    const step = await hop(`${w.url}/pay/${s.paymentId}/checkout`);
    return { ...s, step };
  }

  const addCard = (number: string) =>
    sim.state.addCard(customer().id, { number, name: 'Bruno Returning', expiry: '09/31' })!;

  it('first purchase: an Ecart customer is created, its pay page keeps the card, recorded once paid', async () => {
    const s = await firstPurchase();
    expect(ecwidOrder(s.json)?.paymentStatus).toBe('PAID');
    const [created] = sim.state.callsTo('createCustomer');
    expect(created!.body).toMatchObject({ email: EMAIL, user_id: `ecwid-${s.json.storeId}-${CUSTOMER}` });
    expect(sim.state.getOrder(s.orderId)!.customer_id).toBe(customer().id);
    const cards = await w.t.db.query<{ brand: string; last4: string; exp_month: number; exp_year: number }>(
      'SELECT brand, last4, exp_month, exp_year FROM saved_cards WHERE removed_at IS NULL',
    );
    expect(cards).toEqual([{ brand: 'visa', last4: '4242', exp_month: 8, exp_year: 2032 }]);
  });

  it('second purchase, paid: a token of the saved card, then an order for the customer with it → PAID', async () => {
    await firstPurchase();
    const s = await returningCheckout({ total: 75.25 });
    const [card] = cardsOnPage(s.step.html);
    expect(card!.label).toBe('Pagar con Visa •••• 4242');
    const paid = await postForm(`${w.url}/pay/${s.paymentId}/saved-cards/pay`, { t: card!.payToken });
    expect(paid.location).toBe(`/return/${s.paymentId}`);
    const back = await follow(paid.location!, w.url, (u) => !u.startsWith(w.url));
    expect(back.url).toBe(s.json.returnUrl);

    const [tokenCall] = sim.state.callsTo('cardToken');
    expect(tokenCall!.body).toEqual({ id: sim.state.cardsOf(customer().id)[0]!.id });
    const [charge] = ordersWithToken();
    expect(charge!.body).toMatchObject({
      currency: 'MXN',
      customer_id: customer().id,
      items: [{ name: `Pedido ${s.json.cart.order.id}`, quantity: 1, price: 75.25 }],
      notify_url: `${w.url}/webhooks/ecartpay/${s.paymentId}`,
      redirect_url: `${w.url}/return/${s.paymentId}`,
    });
    const p = await payment(s.paymentId);
    expect(p).toMatchObject({ state: 'paid', provider: 'ecartpay', saved_card_id: card!.id });
    expect(ecwidOrder(s.json)?.paymentStatus).toBe('PAID');
  });

  it('declined saved card: the decline is shown, the payment stays open, Ecwid is not touched', async () => {
    await firstPurchase();
    addCard('4000000000000127');
    const s = await returningCheckout();
    const before = ecwidOrder(s.json)?.paymentStatus;
    const card = cardsOnPage(s.step.html).find((c) => c.label.endsWith('0127'))!;
    const declined = await postForm(`${w.url}/pay/${s.paymentId}/saved-cards/pay`, { t: card.payToken });
    expect(declined.location).toBe(`/pay/${s.paymentId}/checkout?provider=ecartpay`);
    expect(await payment(s.paymentId)).toMatchObject({
      state: 'created',
      provider: null,
      provider_reference: null,
    });
    // Ecart notifies the declined order: acknowledged, nothing changes.
    await eventually(() => {
      if (!sim.state.notifications.some((n) => n.status === 'declined' && n.outcome === 'delivered'))
        throw new Error('decline not notified yet');
    });
    expect((await payment(s.paymentId)).state).toBe('created');
    expect(ecwidOrder(s.json)?.paymentStatus).toBe(before);
    expect(w.ecwid.state.updatesFor(s.json.storeId, s.json.cart.order.referenceTransactionId)).toEqual([]);
    const again = await hop(`${w.url}${declined.location}`);
    expect(notice(again.html)).toContain('El banco rechazó la tarjeta Visa •••• 0127.');
  });

  it('3-D Secure: enrollment, the shopper authenticates at Ecart, the return re-fetches the order → PAID', async () => {
    await firstPurchase();
    addCard('4000000000002503');
    const s = await returningCheckout();
    const card = cardsOnPage(s.step.html).find((c) => c.label.endsWith('2503'))!;
    const sent = await postForm(`${w.url}/pay/${s.paymentId}/saved-cards/pay`, { t: card.payToken });
    expect(sent.location).toMatch(new RegExp(`^${sim.url}/three-d-secure/3ds_`));
    expect(sim.state.callsTo('threeDSecure')[0]!.body).toMatchObject({
      redirect_url: `${w.url}/return/${s.paymentId}`,
    });
    const page = await hop(sent.location!);
    expect(page.html).toContain('id="ecartpay-three-ds-approve"');
    const done = await postForm(sent.location!, { action: 'approve' });
    expect(done.location).toBe(`${w.url}/return/${s.paymentId}`);
    const back = await follow(done.location!, w.url, (u) => !u.startsWith(w.url));
    expect(back.url).toBe(s.json.returnUrl);
    expect(ecwidOrder(s.json)?.paymentStatus).toBe('PAID');
    expect(ordersWithToken()).toHaveLength(1);
  });

  it('3-D Secure failed: the return re-fetches the declined order, back to the saved-card step, Ecwid payable', async () => {
    await firstPurchase();
    addCard('4000000000002370');
    const s = await returningCheckout();
    const before = ecwidOrder(s.json)?.paymentStatus;
    const card = cardsOnPage(s.step.html).find((c) => c.label.endsWith('2370'))!;
    const sent = await postForm(`${w.url}/pay/${s.paymentId}/saved-cards/pay`, { t: card.payToken });
    expect(sent.location).toMatch(new RegExp(`^${sim.url}/three-d-secure/3ds_`));
    const done = await postForm(sent.location!, { action: 'fail' });
    expect(done.location).toBe(`${w.url}/return/${s.paymentId}`);
    const back = await hop(done.location!);
    expect(back.location).toBe(`/pay/${s.paymentId}/checkout?provider=ecartpay`);
    expect(await payment(s.paymentId)).toMatchObject({
      state: 'created',
      provider: null,
      provider_reference: null,
    });
    const attempts = await w.t.db.query<{ status: string }>('SELECT status FROM saved_card_attempts');
    expect(attempts).toEqual([{ status: 'declined' }]);
    const step = await hop(`${w.url}${back.location}`);
    expect(notice(step.html)).toContain('El banco rechazó la tarjeta Visa •••• 2370.');
    expect(cardsOnPage(step.html).map((c) => c.label)).toEqual([
      'Pagar con Visa •••• 4242',
      'Pagar con Visa •••• 2370',
    ]);
    // Ecart's notification of the declined order is acknowledged and changes nothing.
    await eventually(() => {
      if (!sim.state.notifications.some((n) => n.status === 'declined' && n.outcome === 'delivered'))
        throw new Error('decline not notified yet');
    });
    expect((await payment(s.paymentId)).state).toBe('created');
    expect(ecwidOrder(s.json)?.paymentStatus).toBe(before);
    expect(w.ecwid.state.updatesFor(s.json.storeId, s.json.cart.order.referenceTransactionId)).toEqual([]);
    // The other card pays the same Ecwid order.
    const other = cardsOnPage(step.html).find((c) => c.label.endsWith('4242'))!;
    const paid = await postForm(`${w.url}/pay/${s.paymentId}/saved-cards/pay`, { t: other.payToken });
    const final = await follow(paid.location!, w.url, (u) => !u.startsWith(w.url));
    expect(final.url).toBe(s.json.returnUrl);
    expect(ecwidOrder(s.json)?.paymentStatus).toBe('PAID');
  });

  it('a decline found by the processing page’s poll (answer lost) also goes back to the saved-card step', async () => {
    await firstPurchase();
    addCard('4000000000000127');
    const s = await returningCheckout();
    const card = cardsOnPage(s.step.html).find((c) => c.label.endsWith('0127'))!;
    sim.state.lateAnswers(2_000, 'createOrder'); // declined at once, answered after the app's timeout
    sim.state.loseNextNotifications(5); // and no notification names the order
    const sent = await postForm(`${w.url}/pay/${s.paymentId}/saved-cards/pay`, { t: card.payToken });
    expect(sent.location).toBe(`/return/${s.paymentId}`);
    expect((await hop(`${w.url}/return/${s.paymentId}`)).html).toContain('check-again');
    const [order] = sim.state.listOrders().filter((o) => o.notify_url?.endsWith(s.paymentId));
    expect(order!.status).toBe('declined');
    expect((await payment(s.paymentId)).state).toBe('checkout_open');
    // Ecart sends the order's notification again: the order is adopted (its decline applies nothing).
    sim.state.clearFaults();
    sim.state.notify(order!);
    await eventually(async () => expect((await payment(s.paymentId)).provider_reference).toBe(order!.id));
    expect((await payment(s.paymentId)).state).toBe('checkout_open');
    // The processing page's poll re-fetches it: back to the checkout step, settled for the page.
    const poll = await fetch(`${w.url}/pay/${s.paymentId}/status`);
    expect(await poll.json()).toMatchObject({ state: 'created', settled: true });
    expect((await hop(`${w.url}/return/${s.paymentId}`)).location).toBe(`/pay/${s.paymentId}/checkout`);
    const step = await hop(`${w.url}/pay/${s.paymentId}/checkout?provider=ecartpay`);
    expect(notice(step.html)).toContain('El banco rechazó la tarjeta Visa •••• 0127.');
    expect(ordersWithToken()).toHaveLength(1);
    expect(w.ecwid.state.updatesFor(s.json.storeId, s.json.cart.order.referenceTransactionId)).toEqual([]);
  });

  it('removal deletes the card at Ecart Pay too', async () => {
    await firstPurchase();
    const s = await returningCheckout();
    const [card] = cardsOnPage(s.step.html);
    const removed = await postForm(`${w.url}/pay/${s.paymentId}/saved-cards/remove`, {
      t: card!.removeToken,
    });
    expect(removed.location).toBe(`/pay/${s.paymentId}/checkout?provider=ecartpay&notice=removed`);
    expect(sim.state.cardsOf(customer().id)).toEqual([]);
    expect(sim.state.callsTo('deleteCard')).toHaveLength(1);
    const next = await hop(`${w.url}${removed.location}`);
    expect(next.status).toBe(303); // no card left: Ecart's pay page
  });

  it('the answer of the charge lost: the order is found through its notification and re-fetched, charged once', async () => {
    await firstPurchase();
    const s = await returningCheckout();
    const [card] = cardsOnPage(s.step.html);
    sim.state.lateAnswers(2_000, 'createOrder'); // paid at once, answered after the app's 800 ms timeout
    const sent = await postForm(`${w.url}/pay/${s.paymentId}/saved-cards/pay`, { t: card!.payToken });
    expect(sent.location).toBe(`/return/${s.paymentId}`);
    // Meanwhile nothing else can be charged for this payment.
    expect((await hop(`${w.url}/pay/${s.paymentId}/checkout`)).location).toBe(`/return/${s.paymentId}`);
    await eventually(async () => expect((await payment(s.paymentId)).state).toBe('paid'));
    const [order] = sim.state
      .listOrders()
      .filter((o) => o.customer_id && o.status === 'paid' && o.notify_url?.endsWith(s.paymentId));
    expect((await payment(s.paymentId)).provider_reference).toBe(order!.id);
    expect(ordersWithToken()).toHaveLength(1);
    const back = await follow(`/return/${s.paymentId}`, w.url, (u) => !u.startsWith(w.url));
    expect(back.url).toBe(s.json.returnUrl);
    expect(ecwidOrder(s.json)?.paymentStatus).toBe('PAID');
  });

  it('no card number or CVC ever reaches our server, its logs or its database', async () => {
    await firstPurchase();
    addCard('4000000000002503');
    const s = await returningCheckout();
    const card = cardsOnPage(s.step.html).find((c) => c.label.endsWith('2503'))!;
    const sent = await postForm(`${w.url}/pay/${s.paymentId}/saved-cards/pay`, { t: card.payToken });
    const done = await postForm(sent.location!, { action: 'approve' });
    await follow(done.location!, w.url, (u) => !u.startsWith(w.url));
    await eventually(() => {
      if (sim.state.pendingNotifications > 0) throw new Error('notifications in flight');
    });
    const requests = w.proxy.requests.map(
      (r) => `${r.method} ${r.url} ${JSON.stringify(r.headers)} ${r.body}`,
    );
    expect(requests.length).toBeGreaterThan(8);
    expect(requests.flatMap(cardDataIn)).toEqual([]);
    expect(cardDataIn(w.app.logs.text)).toEqual([]);
    expect(cardDataIn(await dumpDatabase(w.t.db, w.secrets))).toEqual([]);
  });
});
