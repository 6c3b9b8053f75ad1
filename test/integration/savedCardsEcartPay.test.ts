import { testDatabases } from '../support/db';
import { simulatedEcartPay, type EcartPayWorld } from '../support/ecartpay';
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
  TEST_CVC,
  typedCard,
} from '../support/savedCards';

const KEYS = {
  publicKey: 'pub_saved_cards_ecart_5e1',
  privateKey: 'prv_saved_cards_ecart_7a2b9c',
  webhookSecret: 'whsec_saved_cards_ecart_31',
};
const CUSTOMER = 7700001;
const EMAIL = 'bruno.returning@example.com';

describe.each(testDatabases())('Saved cards with Ecart Pay, through the simulators, on %s', (kind) => {
  let w: EcartPayWorld;

  beforeAll(async () => {
    w = await startWorld(kind, simulatedEcartPay({ ...KEYS, timeoutMs: 800 }));
  });
  afterAll(async () => {
    await w?.close();
  });
  beforeEach(async () => {
    await w.reset();
    w.sim.state.retryDelaysMs = [50, 50, 50];
  });

  const start = (over: { customerId?: number | null; email?: string; total?: number } = {}) =>
    w.flow.start({ currency: 'MXN', customerId: CUSTOMER, email: EMAIL, total: 640.1, ...over });
  const customer = () => w.sim.state.listCustomers()[0]!;
  const ordersWithToken = () =>
    w.sim.state.callsTo('createOrder').filter((c) => (c.body as { token?: string }).token);

  async function firstPurchase(save = true) {
    const s = await start();
    const checkout = await hop(`${w.url}/pay/${s.paymentId}/checkout`);
    expect(checkout.status).toBe(303);
    const orderId = new URL(checkout.location!).searchParams.get('id')!;
    const page = await hop(checkout.location!);
    expect(page.html).toContain('id="ecartpay-card-form"');
    const paid = await postForm(`${w.sim.url}/checkout/${orderId}`, {
      action: 'card',
      lang: 'es',
      ...typedCard({ number: '4242 4242 4242 4242', name: 'Bruno Returning', expiry: '08/32', save }),
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
    w.sim.state.addCard(customer().id, { number, name: 'Bruno Returning', expiry: '09/31' })!;

  it('first purchase: an Ecart customer is created, its pay page keeps the card, recorded once paid', async () => {
    const s = await firstPurchase();
    expect(w.ecwidOrder(s.json)?.paymentStatus).toBe('PAID');
    const [created] = w.sim.state.callsTo('createCustomer');
    expect(created!.body).toMatchObject({ email: EMAIL, user_id: `ecwid-${s.json.storeId}-${CUSTOMER}` });
    expect(w.sim.state.getOrder(s.orderId)!.customer_id).toBe(customer().id);
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

    const [tokenCall] = w.sim.state.callsTo('cardToken');
    expect(tokenCall!.body).toEqual({ id: w.sim.state.cardsOf(customer().id)[0]!.id });
    const [charge] = ordersWithToken();
    expect(charge!.body).toMatchObject({
      currency: 'MXN',
      customer_id: customer().id,
      items: [{ name: `Pedido ${s.json.cart.order.id}`, quantity: 1, price: 75.25 }],
      notify_url: `${w.url}/webhooks/ecartpay/${s.paymentId}`,
      redirect_url: `${w.url}/return/${s.paymentId}`,
    });
    const p = await w.paymentRow(s.paymentId);
    expect(p).toMatchObject({ state: 'paid', provider: 'ecartpay', saved_card_id: card!.id });
    expect(w.ecwidOrder(s.json)?.paymentStatus).toBe('PAID');
  });

  it('declined saved card: the decline is shown, the payment stays open, Ecwid is not touched', async () => {
    await firstPurchase();
    addCard('4000000000000127');
    const s = await returningCheckout();
    const before = w.ecwidOrder(s.json)?.paymentStatus;
    const card = cardsOnPage(s.step.html).find((c) => c.label.endsWith('0127'))!;
    const declined = await postForm(`${w.url}/pay/${s.paymentId}/saved-cards/pay`, { t: card.payToken });
    expect(declined.location).toBe(`/pay/${s.paymentId}/checkout?provider=ecartpay`);
    expect(await w.paymentRow(s.paymentId)).toMatchObject({
      state: 'created',
      provider: null,
      provider_reference: null,
    });
    // Ecart notifies the declined order: acknowledged, nothing changes.
    await eventually(() => {
      if (!w.sim.state.notifications.some((n) => n.status === 'declined' && n.outcome === 'delivered'))
        throw new Error('decline not notified yet');
    });
    expect((await w.paymentRow(s.paymentId)).state).toBe('created');
    expect(w.ecwidOrder(s.json)?.paymentStatus).toBe(before);
    expect(w.ecwidUpdates(s.json)).toEqual([]);
    const again = await hop(`${w.url}${declined.location}`);
    expect(notice(again.html)).toContain('El banco rechazó la tarjeta Visa •••• 0127.');
  });

  it('3-D Secure: enrollment, the shopper authenticates at Ecart, the return re-fetches the order → PAID', async () => {
    await firstPurchase();
    addCard('4000000000002503');
    const s = await returningCheckout();
    const card = cardsOnPage(s.step.html).find((c) => c.label.endsWith('2503'))!;
    const sent = await postForm(`${w.url}/pay/${s.paymentId}/saved-cards/pay`, { t: card.payToken });
    expect(sent.location).toMatch(new RegExp(`^${w.sim.url}/three-d-secure/3ds_`));
    expect(w.sim.state.callsTo('threeDSecure')[0]!.body).toMatchObject({
      redirect_url: `${w.url}/return/${s.paymentId}`,
    });
    const page = await hop(sent.location!);
    expect(page.html).toContain('id="ecartpay-three-ds-approve"');
    const done = await postForm(sent.location!, { action: 'approve' });
    expect(done.location).toBe(`${w.url}/return/${s.paymentId}`);
    const back = await follow(done.location!, w.url, (u) => !u.startsWith(w.url));
    expect(back.url).toBe(s.json.returnUrl);
    expect(w.ecwidOrder(s.json)?.paymentStatus).toBe('PAID');
    expect(ordersWithToken()).toHaveLength(1);
  });

  it('3-D Secure failed: the return re-fetches the declined order, back to the saved-card step, Ecwid payable', async () => {
    await firstPurchase();
    addCard('4000000000002370');
    const s = await returningCheckout();
    const before = w.ecwidOrder(s.json)?.paymentStatus;
    const card = cardsOnPage(s.step.html).find((c) => c.label.endsWith('2370'))!;
    const sent = await postForm(`${w.url}/pay/${s.paymentId}/saved-cards/pay`, { t: card.payToken });
    expect(sent.location).toMatch(new RegExp(`^${w.sim.url}/three-d-secure/3ds_`));
    const done = await postForm(sent.location!, { action: 'fail' });
    expect(done.location).toBe(`${w.url}/return/${s.paymentId}`);
    const back = await hop(done.location!);
    expect(back.location).toBe(`/pay/${s.paymentId}/checkout?provider=ecartpay`);
    expect(await w.paymentRow(s.paymentId)).toMatchObject({
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
      if (!w.sim.state.notifications.some((n) => n.status === 'declined' && n.outcome === 'delivered'))
        throw new Error('decline not notified yet');
    });
    expect((await w.paymentRow(s.paymentId)).state).toBe('created');
    expect(w.ecwidOrder(s.json)?.paymentStatus).toBe(before);
    expect(w.ecwidUpdates(s.json)).toEqual([]);
    // The other card pays the same Ecwid order.
    const other = cardsOnPage(step.html).find((c) => c.label.endsWith('4242'))!;
    const paid = await postForm(`${w.url}/pay/${s.paymentId}/saved-cards/pay`, { t: other.payToken });
    const final = await follow(paid.location!, w.url, (u) => !u.startsWith(w.url));
    expect(final.url).toBe(s.json.returnUrl);
    expect(w.ecwidOrder(s.json)?.paymentStatus).toBe('PAID');
  });

  it('a decline found by the processing page’s poll (answer lost) also goes back to the saved-card step', async () => {
    await firstPurchase();
    addCard('4000000000000127');
    const s = await returningCheckout();
    const card = cardsOnPage(s.step.html).find((c) => c.label.endsWith('0127'))!;
    w.sim.state.lateAnswers(2_000, 'createOrder'); // declined at once, answered after the app's timeout
    w.sim.state.loseNextNotifications(5); // and no notification names the order
    const sent = await postForm(`${w.url}/pay/${s.paymentId}/saved-cards/pay`, { t: card.payToken });
    expect(sent.location).toBe(`/return/${s.paymentId}`);
    expect((await hop(`${w.url}/return/${s.paymentId}`)).html).toContain('check-again');
    const [order] = w.sim.state.listOrders().filter((o) => o.notify_url?.endsWith(s.paymentId));
    expect(order!.status).toBe('declined');
    expect((await w.paymentRow(s.paymentId)).state).toBe('checkout_open');
    // Ecart sends the order's notification again: the order is adopted (its decline applies nothing).
    w.sim.state.clearFaults();
    w.sim.state.notify(order!);
    await eventually(async () =>
      expect((await w.paymentRow(s.paymentId)).provider_reference).toBe(order!.id),
    );
    expect((await w.paymentRow(s.paymentId)).state).toBe('checkout_open');
    // The processing page's poll re-fetches it: back to the checkout step, settled for the page.
    const poll = await fetch(`${w.url}/pay/${s.paymentId}/status`);
    expect(await poll.json()).toMatchObject({ state: 'created', settled: true });
    expect((await hop(`${w.url}/return/${s.paymentId}`)).location).toBe(`/pay/${s.paymentId}/checkout`);
    const step = await hop(`${w.url}/pay/${s.paymentId}/checkout?provider=ecartpay`);
    expect(notice(step.html)).toContain('El banco rechazó la tarjeta Visa •••• 0127.');
    expect(ordersWithToken()).toHaveLength(1);
    expect(w.ecwidUpdates(s.json)).toEqual([]);
  });

  it('removal deletes the card at Ecart Pay too', async () => {
    await firstPurchase();
    const s = await returningCheckout();
    const [card] = cardsOnPage(s.step.html);
    const removed = await postForm(`${w.url}/pay/${s.paymentId}/saved-cards/remove`, {
      t: card!.removeToken,
    });
    expect(removed.location).toBe(`/pay/${s.paymentId}/checkout?provider=ecartpay&notice=removed`);
    expect(w.sim.state.cardsOf(customer().id)).toEqual([]);
    expect(w.sim.state.callsTo('deleteCard')).toHaveLength(1);
    const next = await hop(`${w.url}${removed.location}`);
    expect(next.status).toBe(303); // no card left: Ecart's pay page
  });

  it('the answer of the charge lost: the order is found through its notification and re-fetched, charged once', async () => {
    await firstPurchase();
    const s = await returningCheckout();
    const [card] = cardsOnPage(s.step.html);
    w.sim.state.lateAnswers(2_000, 'createOrder'); // paid at once, answered after the app's 800 ms timeout
    const sent = await postForm(`${w.url}/pay/${s.paymentId}/saved-cards/pay`, { t: card!.payToken });
    expect(sent.location).toBe(`/return/${s.paymentId}`);
    // Meanwhile nothing else can be charged for this payment.
    expect((await hop(`${w.url}/pay/${s.paymentId}/checkout`)).location).toBe(`/return/${s.paymentId}`);
    await eventually(async () => expect((await w.paymentRow(s.paymentId)).state).toBe('paid'));
    const [order] = w.sim.state
      .listOrders()
      .filter((o) => o.customer_id && o.status === 'paid' && o.notify_url?.endsWith(s.paymentId));
    expect((await w.paymentRow(s.paymentId)).provider_reference).toBe(order!.id);
    expect(ordersWithToken()).toHaveLength(1);
    const back = await follow(`/return/${s.paymentId}`, w.url, (u) => !u.startsWith(w.url));
    expect(back.url).toBe(s.json.returnUrl);
    expect(w.ecwidOrder(s.json)?.paymentStatus).toBe('PAID');
  });

  /** Every value a request to our server carried: query and form/JSON body fields. */
  function valuesSentToUs(): string[] {
    const values: string[] = [];
    for (const r of w.proxy.requests) {
      for (const [, v] of new URL(r.url, w.url).searchParams) values.push(v);
      if (!r.body) continue;
      try {
        const walk = (x: unknown): void => {
          if (x && typeof x === 'object') Object.values(x).forEach(walk);
          else values.push(String(x));
        };
        walk(JSON.parse(r.body));
      } catch {
        for (const [, v] of new URLSearchParams(r.body)) values.push(v);
      }
    }
    return values;
  }

  /** The verification step: its signed form token and the session Ecart's component starts with. */
  function verifyForm(html: string) {
    return {
      t: /name="t" value="([^"]+)"/.exec(html)![1]!,
      session: /data-session="([^"]+)"/.exec(html)![1]!,
      card: /data-card="([^"]+)"/.exec(html)![1]!,
    };
  }

  /** The shopper types the security code in Ecart's frame (Ecart's origin); the frame's answer holds the token. */
  async function typeInEcartFrame(session: string, cardId: string, cvc: string) {
    const parent = new URL(w.url).origin;
    const frame = await hop(
      `${w.sim.url}/sdk/verify?${new URLSearchParams({ session, card: cardId, lang: 'es', parent }).toString()}`,
    );
    expect(frame.status).toBe(200);
    expect(frame.html).toContain('id="ecartpay-cvc"');
    expect(frame.csp).toContain(`frame-ancestors ${parent}`);
    const typed = await postForm(`${w.sim.url}/sdk/verify`, {
      session,
      card: cardId,
      parent,
      lang: 'es',
      cvc,
    });
    expect(typed.status).toBe(200);
    return /data-token="([^"]+)"/.exec(typed.html)![1]!;
  }

  it('a card Ecart wants verified: its own component takes the security code on its origin, only a card token reaches us', async () => {
    await firstPurchase();
    const ecartCard = w.sim.state.cardsOf(customer().id)[0]!;
    w.sim.state.requireCvc(ecartCard.id);
    const s = await returningCheckout();
    const [card] = cardsOnPage(s.step.html);
    const sent = await postForm(`${w.url}/pay/${s.paymentId}/saved-cards/pay`, { t: card!.payToken });
    // Ecart refused a token without the code: nothing charged, the verification step instead.
    expect(sent.location).toBe(`/pay/${s.paymentId}/saved-cards/verify?card=${card!.id}`);
    expect(ordersWithToken()).toHaveLength(0);
    expect(await w.paymentRow(s.paymentId)).toMatchObject({ state: 'created', provider: null });

    const page = await hop(`${w.url}${sent.location}`);
    expect(page.status).toBe(200);
    const ecart = new URL(w.sim.url).origin;
    // Ecart's script and frame, from Ecart's configured origin only; no field for the code on our page.
    expect(page.csp).toContain(`script-src 'self' ${ecart};`);
    expect(page.csp).toContain(`frame-src ${ecart};`);
    expect(page.csp).toContain("default-src 'self'");
    expect(page.html).toContain(`<script src="${w.sim.url}/sdk/pay.js"></script>`);
    expect(page.html).not.toMatch(/cc-csc|name="cvc"|<input[^>]+id="ecartpay-cvc"/);
    expect(notice(page.html)).toBeNull();
    const form = verifyForm(page.html);
    expect(form.card).toBe(ecartCard.id);
    expect(w.sim.state.callsTo('customerSession')).toHaveLength(1);
    expect(await (await fetch(`${w.sim.url}/sdk/pay.js`)).text()).toContain('verifyCard');

    const cardToken = await typeInEcartFrame(form.session, ecartCard.id, TEST_CVC);
    expect(w.sim.state.typedCvcs).toEqual([{ cardId: ecartCard.id, cvc: TEST_CVC }]);
    const paid = await postForm(`${w.url}/pay/${s.paymentId}/saved-cards/verify`, {
      t: form.t,
      card_token: cardToken,
    });
    expect(paid.location).toBe(`/return/${s.paymentId}`);
    const back = await follow(paid.location!, w.url, (u) => !u.startsWith(w.url));
    expect(back.url).toBe(s.json.returnUrl);
    expect(w.ecwidOrder(s.json)?.paymentStatus).toBe('PAID');
    const [charge] = ordersWithToken();
    expect(charge!.body).toMatchObject({ customer_id: customer().id, token: cardToken });
    // A replayed verification form (double click) charges nothing more.
    const replay = await postForm(`${w.url}/pay/${s.paymentId}/saved-cards/verify`, {
      t: form.t,
      card_token: cardToken,
    });
    expect(replay.location).toBe(`/return/${s.paymentId}`);
    expect(ordersWithToken()).toHaveLength(1);

    // The code was typed (Ecart has it) yet never reached our server, its logs or its database.
    await eventually(() => {
      if (w.sim.state.pendingNotifications > 0) throw new Error('notifications in flight');
    });
    // (As a value of its own: random tokens and encrypted payloads may contain the same digits.)
    const standalone = new RegExp(`(^|[^A-Za-z0-9_-])${TEST_CVC}([^A-Za-z0-9_-]|$)`);
    expect(valuesSentToUs().filter((v) => standalone.test(v))).toEqual([]);
    const requests = w.proxy.requests.map((r) => `${r.method} ${r.url} ${r.body}`);
    expect(requests.some((r) => r.includes('card_token='))).toBe(true);
    expect(requests.flatMap(cardDataIn)).toEqual([]);
    expect(cardDataIn(w.app.logs.text)).toEqual([]);
    expect(w.app.logs.text).not.toContain(form.session);
    expect(cardDataIn(await dumpDatabase(w.t.db, w.secrets))).toEqual([]);
  });

  it('a card token of another customer’s card, or none, is refused at the verification step: nothing charged', async () => {
    await firstPurchase();
    const ecartCard = w.sim.state.cardsOf(customer().id)[0]!;
    w.sim.state.requireCvc(ecartCard.id);
    const s = await returningCheckout();
    const [card] = cardsOnPage(s.step.html);
    const sent = await postForm(`${w.url}/pay/${s.paymentId}/saved-cards/pay`, { t: card!.payToken });
    const form = verifyForm((await hop(`${w.url}${sent.location}`)).html);

    // No token, a forged one, or the form of another action: refused, the form still usable.
    expect((await postForm(`${w.url}/pay/${s.paymentId}/saved-cards/verify`, { t: form.t })).status).toBe(
      403,
    );
    expect(
      (await postForm(`${w.url}/pay/${s.paymentId}/saved-cards/verify`, { t: form.t, card_token: '<x>' }))
        .status,
    ).toBe(403);
    expect(
      (
        await postForm(`${w.url}/pay/${s.paymentId}/saved-cards/verify`, {
          t: card!.payToken,
          card_token: 'ca_x1',
        })
      ).status,
    ).toBe(403);

    // Another customer of the same merchant, with a card verified in Ecart's component.
    const other = w.sim.state.createCustomer(KEYS.publicKey, { email: 'someone.else@example.com' });
    const otherCard = w.sim.state.addCard(other.id, {
      number: '4242424242424242',
      name: 'X',
      expiry: '01/33',
    })!;
    const otherToken = await typeInEcartFrame(
      w.sim.state.createSession(KEYS.publicKey, other.id),
      otherCard.id,
      '123',
    );
    // Our session cannot verify the other customer's card either.
    const refusedFrame = await hop(
      `${w.sim.url}/sdk/verify?${new URLSearchParams({ session: form.session, card: otherCard.id, parent: new URL(w.url).origin }).toString()}`,
    );
    expect(refusedFrame.status).toBe(400);

    const tried = await postForm(`${w.url}/pay/${s.paymentId}/saved-cards/verify`, {
      t: form.t,
      card_token: otherToken,
    });
    // Ecart refuses an order of this customer paid with another customer's token: nothing charged.
    expect(tried.location).toBe(`/pay/${s.paymentId}/checkout?provider=ecartpay`);
    expect(w.sim.state.listOrders().filter((o) => o.status === 'paid')).toHaveLength(1); // the first purchase
    expect(await w.paymentRow(s.paymentId)).toMatchObject({ state: 'created', provider: null });
    expect(w.ecwidUpdates(s.json)).toEqual([]);
    const step = await hop(`${w.url}${tried.location}`);
    expect(notice(step.html)).toContain('No pudimos cobrar la tarjeta Visa •••• 4242');
    // A verification step for a card this shopper may not use is refused.
    const foreign = await hop(
      `${w.url}/pay/${s.paymentId}/saved-cards/verify?card=sc_AAAAAAAAAAAAAAAAAAAAAA`,
    );
    expect(foreign.status).toBe(403);
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
      if (w.sim.state.pendingNotifications > 0) throw new Error('notifications in flight');
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
