import { issueAdminToken } from '../../src/merchants/adminAuth';
import { simulatedConekta } from '../support/conekta';
import { testDatabases } from '../support/db';
import { simulatedEcartPay } from '../support/ecartpay';
import { eventually } from '../support/flow';
import { startWorld, type World } from '../support/harness';
import { cardsOnPage, craftToken, follow, hop, notice, postForm, typedCard } from '../support/savedCards';

/**
 * "Bad input and attacks" of saved cards (issue 9), each its own test, for both providers: a guest or
 * another customer trying a saved card id, a card id from another store, a replayed or forged
 * confirmation form, a declined saved card, a card removed at the provider meanwhile, the provider
 * timing out on the charge.
 */

const CUSTOMER = 5150001;
const EMAIL = 'carla.owner@example.com';

interface Shopper {
  customerId?: number;
  email?: string;
  storeId?: number;
}

interface Rig {
  id: 'conekta' | 'ecartpay';
  world: World;
  /** A first purchase of this shopper that saves a card (typed on the provider's page). */
  saveCard(shopper?: Shopper): Promise<void>;
  /** Adds a card on the shopper's provider customer (as if saved earlier); its provider id. */
  addCardAtProvider(number: string, customerIndex?: number): string;
  removeAtProvider(providerCardId: string, customerIndex?: number): void;
  /** Charges made at the provider for saved cards. */
  charges(): number;
  /** Charges are made at once but answered after the app's timeout. */
  answerLate(ms: number): void;
  close(): Promise<void>;
  reset(): Promise<void>;
}

/** "Go to Payment" of a first purchase by this shopper (by default, the one attacked): the checkout step. */
async function firstCheckout(world: World, shopper: Shopper) {
  const s = await world.flow.start({
    currency: 'MXN',
    customerId: shopper.customerId ?? CUSTOMER,
    email: shopper.email ?? EMAIL,
    ...(shopper.storeId ? { storeId: shopper.storeId } : {}),
  });
  return hop(`${world.url}/pay/${s.paymentId}/checkout`);
}

async function conektaRig(kind: 'pglite' | 'postgres'): Promise<Rig> {
  const world = await startWorld(
    kind,
    simulatedConekta({ privateKey: 'key_SavedCardsAttackProbe41', timeoutMs: 800 }),
  );
  const { sim } = world;
  const customers = () => sim.state.listCustomers();
  return {
    id: 'conekta',
    world,
    async saveCard(shopper = {}) {
      const checkout = await firstCheckout(world, shopper);
      const paid = await postForm(
        `${checkout.location!}/card`,
        typedCard({ number: '4242424242424242', name: 'Carla', expiry: '10/31', save: true }),
      );
      await follow(paid.location!, world.url, (u) => !u.startsWith(world.url));
    },
    addCardAtProvider: (number, i = 0) =>
      sim.state.addSource(customers()[i]!.id, { number, holder: 'Carla', expiry: '10/30' })!.id,
    removeAtProvider: (id, i = 0) => void sim.state.removeSource(customers()[i]!.id, id),
    // Charges made on saved-card orders (a refused request makes none).
    charges: () =>
      sim.state
        .listOrders()
        .filter((r) => r.order.metadata.saved_card === 'true')
        .reduce((n, r) => n + r.order.charges.data.length, 0),
    answerLate: (ms) => sim.state.lateChargeAnswers(ms),
    reset: () => world.reset(),
    close: () => world.close(),
  };
}

async function ecartRig(kind: 'pglite' | 'postgres'): Promise<Rig> {
  const world = await startWorld(
    kind,
    simulatedEcartPay({
      publicKey: 'pub_saved_attack_ecart',
      privateKey: 'prv_saved_attack_ecart_0d1',
      webhookSecret: 'whsec_attack_ecart_9',
      timeoutMs: 800,
    }),
  );
  const { sim } = world;
  const customers = () => sim.state.listCustomers();
  return {
    id: 'ecartpay',
    world,
    async saveCard(shopper = {}) {
      const checkout = await firstCheckout(world, shopper);
      const orderId = new URL(checkout.location!).searchParams.get('id')!;
      const paid = await postForm(`${sim.url}/checkout/${orderId}`, {
        action: 'card',
        ...typedCard({ number: '4242424242424242', name: 'Carla', expiry: '10/31', save: true }),
      });
      await follow(paid.location!, world.url, (u) => !u.startsWith(world.url));
    },
    addCardAtProvider: (number, i = 0) =>
      sim.state.addCard(customers()[i]!.id, { number, name: 'Carla', expiry: '10/30' })!.id,
    removeAtProvider: (id, i = 0) => void sim.state.removeCard(customers()[i]!.id, id),
    charges: () =>
      sim.state.callsTo('createOrder').filter((c) => (c.body as { token?: string }).token).length,
    answerLate: (ms) => sim.state.lateAnswers(ms, 'createOrder'),
    async reset() {
      await world.reset();
      sim.state.retryDelaysMs = [50, 50, 50];
    },
    close: () => world.close(),
  };
}

const cases = testDatabases().flatMap((kind) =>
  (['conekta', 'ecartpay'] as const).map((provider) => ({ kind, provider })),
);

describe.each(cases)('Saved cards: bad input and attacks, $provider on $kind', ({ kind, provider }) => {
  let rig: Rig;
  let w: World;

  beforeAll(async () => {
    rig = provider === 'conekta' ? await conektaRig(kind) : await ecartRig(kind);
    w = rig.world;
  });
  afterAll(async () => {
    await rig?.close();
  });
  beforeEach(async () => {
    await rig.reset();
  });

  const start = (
    over: { customerId?: number | null; email?: string; storeId?: number; total?: number } = {},
  ) => w.flow.start({ currency: 'MXN', customerId: CUSTOMER, email: EMAIL, ...over });
  const step = (paymentId: string) => hop(`${w.url}/pay/${paymentId}/checkout`);
  const pay = (paymentId: string, token: string, headers: Record<string, string> = {}) =>
    postForm(`${w.url}/pay/${paymentId}/saved-cards/pay`, { t: token }, headers);
  const savedCardIds = async () =>
    (
      await w.t.db.query<{ id: string }>(
        'SELECT id FROM saved_cards WHERE removed_at IS NULL ORDER BY created_at',
      )
    ).map((r) => r.id);
  const paymentState = async (id: string) =>
    (
      await w.t.db.query<{ state: string; provider: string | null }>(
        'SELECT state, provider FROM payments WHERE id = $1',
        [id],
      )
    )[0]!;
  const attempts = () =>
    w.t.db.query<{ status: string }>('SELECT status FROM saved_card_attempts ORDER BY id');

  it('a guest trying a saved card id is refused, and guests never see saved cards', async () => {
    await rig.saveCard();
    const [victimCard] = await savedCardIds();
    const guest = await start({ customerId: null, email: EMAIL });
    const page = await step(guest.paymentId);
    expect(page.status).toBe(303); // straight to the provider's page: no saved-card step for guests
    const refused = await pay(
      guest.paymentId,
      craftToken(w.secrets, { action: 'pay', paymentId: guest.paymentId, savedCardId: victimCard! }),
    );
    expect(refused.status).toBe(403);
    expect(refused.html).toContain('Esta tarjeta no se puede usar para este pago');
    expect(rig.charges()).toBe(0);
    expect(await attempts()).toEqual([]);
  });

  it('another logged-in customer trying a saved card id is refused, and never sees it', async () => {
    await rig.saveCard();
    const [victimCard] = await savedCardIds();
    const other = await start({ customerId: CUSTOMER + 1, email: 'mallory@example.com' });
    const page = await step(other.paymentId);
    expect(page.status).toBe(303);
    expect(cardsOnPage(page.html)).toEqual([]);
    const refused = await pay(
      other.paymentId,
      craftToken(w.secrets, { action: 'pay', paymentId: other.paymentId, savedCardId: victimCard! }),
    );
    expect(refused.status).toBe(403);
    expect(rig.charges()).toBe(0);
  });

  it('the same customer id with another email never sees or uses the cards', async () => {
    await rig.saveCard();
    const [card] = await savedCardIds();
    const s = await start({ email: 'someone.else@example.com' });
    const page = await step(s.paymentId);
    expect(page.status).toBe(303);
    const refused = await pay(
      s.paymentId,
      craftToken(w.secrets, { action: 'pay', paymentId: s.paymentId, savedCardId: card! }),
    );
    expect(refused.status).toBe(403);
    expect(rig.charges()).toBe(0);
  });

  it('a card id from another store is refused', async () => {
    await rig.saveCard();
    const [storeOneCard] = await savedCardIds();
    const s = await start({ storeId: 2_000_002 });
    const refused = await pay(
      s.paymentId,
      craftToken(w.secrets, { action: 'pay', paymentId: s.paymentId, savedCardId: storeOneCard! }),
    );
    expect(refused.status).toBe(403);
    expect(rig.charges()).toBe(0);
    // Store 2's checkout step does not offer store 1's card either.
    expect(cardsOnPage((await step(s.paymentId)).html)).toEqual([]);
  });

  it('a replayed confirmation form charges once: replay, concurrent double click, two tabs', async () => {
    await rig.saveCard();
    // Replay after the fact.
    const a = await start();
    const [cardA] = cardsOnPage((await step(a.paymentId)).html);
    expect((await pay(a.paymentId, cardA!.payToken)).location).toBe(`/return/${a.paymentId}`);
    const replay = await pay(a.paymentId, cardA!.payToken);
    expect(replay.status).toBe(303);
    expect(replay.location).toBe(`/return/${a.paymentId}`);
    expect(rig.charges()).toBe(1);
    // A double click: the same form twice at once.
    const b = await start();
    const [cardB] = cardsOnPage((await step(b.paymentId)).html);
    await Promise.all([pay(b.paymentId, cardB!.payToken), pay(b.paymentId, cardB!.payToken)]);
    expect(rig.charges()).toBe(2);
    // Two tabs: two different tokens for the same payment at once.
    const c = await start();
    const [tab1] = cardsOnPage((await step(c.paymentId)).html);
    const [tab2] = cardsOnPage((await step(c.paymentId)).html);
    expect(tab1!.payToken).not.toBe(tab2!.payToken);
    await Promise.all([pay(c.paymentId, tab1!.payToken), pay(c.paymentId, tab2!.payToken)]);
    expect(rig.charges()).toBe(3);
    for (const p of [a, b, c]) expect((await paymentState(p.paymentId)).state).toBe('paid');
  });

  it('a forged confirmation form is refused: tampered, another payment, expired, wrong action, other tokens, cross-site', async () => {
    await rig.saveCard();
    const s = await start();
    const other = await start({ total: 10 });
    const [card] = cardsOnPage((await step(s.paymentId)).html);
    const [body, mac] = card!.payToken.split('.');
    const tampered = `${body}.${mac!.slice(0, -2)}${mac!.endsWith('AA') ? 'BB' : 'AA'}`;
    // Claims of the attacker's choosing (another card) with a signature copied from a genuine form.
    const forgedClaims = `${Buffer.from(
      JSON.stringify({
        k: 'sc-pay',
        p: s.paymentId,
        c: card!.id,
        n: 'x'.repeat(22),
        x: Date.now() + 600_000,
      }),
    ).toString('base64url')}.${mac}`;
    const refusals: [string, string, string][] = [
      ['tampered signature', tampered, 'no es válida'],
      ['claims signed by nobody', forgedClaims, 'no es válida'],
      [
        'token of another payment',
        craftToken(w.secrets, { action: 'pay', paymentId: other.paymentId, savedCardId: card!.id }),
        'no es válida',
      ],
      [
        'expired',
        craftToken(w.secrets, {
          action: 'pay',
          paymentId: s.paymentId,
          savedCardId: card!.id,
          expiresAt: Date.now() - 1,
        }),
        'caducó',
      ],
      ['remove token on the pay form', card!.removeToken, 'no es válida'],
      [
        'settings page token',
        issueAdminToken(w.secrets, { storeId: s.json.storeId, lang: 'es' }),
        'no es válida',
      ],
      ['missing', '', 'no es válida'],
    ];
    for (const [what, token, words] of refusals) {
      const res = await pay(s.paymentId, token);
      expect([what, res.status]).toEqual([what, 403]);
      expect([what, res.html.includes(words)]).toEqual([what, true]);
    }
    const crossSite = await pay(s.paymentId, card!.payToken, { Origin: 'https://evil.example' });
    expect(crossSite.status).toBe(403);
    expect(rig.charges()).toBe(0);
    // The genuine form still works afterwards (nothing was consumed by the refusals).
    expect((await pay(s.paymentId, card!.payToken)).location).toBe(`/return/${s.paymentId}`);
    expect(rig.charges()).toBe(1);
  });

  it('a declined saved card: the shopper sees the decline, can choose another method, the Ecwid order stays payable', async () => {
    await rig.saveCard();
    rig.addCardAtProvider('4000000000000127');
    const s = await start();
    const before = w.ecwidOrder(s.json)?.paymentStatus;
    const card = cardsOnPage((await step(s.paymentId)).html).find((c) => c.label.endsWith('0127'))!;
    const declined = await pay(s.paymentId, card.payToken);
    expect(declined.location).toBe(`/pay/${s.paymentId}/checkout?provider=${provider}`);
    const again = await hop(`${w.url}${declined.location}`);
    expect(notice(again.html)).toContain('El banco rechazó la tarjeta Visa •••• 0127.');
    expect(again.html).toContain('id="use-another-method"');
    expect(await paymentState(s.paymentId)).toEqual({ state: 'created', provider: null });
    expect(w.ecwidOrder(s.json)?.paymentStatus).toBe(before);
    // Another card of the shopper pays the same payment.
    const good = cardsOnPage(again.html).find((c) => c.label.endsWith('4242'))!;
    expect((await pay(s.paymentId, good.payToken)).location).toBe(`/return/${s.paymentId}`);
    expect((await paymentState(s.paymentId)).state).toBe('paid');
  });

  it('a card removed at the provider meanwhile: not charged, removed here too, another method offered', async () => {
    await rig.saveCard();
    const extra = rig.addCardAtProvider('4242424242424242');
    const s = await start();
    const cards = cardsOnPage((await step(s.paymentId)).html);
    expect(cards).toHaveLength(2);
    rig.removeAtProvider(extra);
    const gone = await pay(s.paymentId, cards[1]!.payToken);
    expect(gone.location).toBe(`/pay/${s.paymentId}/checkout?provider=${provider}`);
    expect(rig.charges()).toBe(0);
    expect(await attempts()).toEqual([{ status: 'card_gone' }]);
    expect(await savedCardIds()).toHaveLength(1);
    const again = await hop(`${w.url}${gone.location}`);
    expect(notice(again.html)).toContain('ya no está disponible');
    expect(cardsOnPage(again.html)).toHaveLength(1);
    expect((await paymentState(s.paymentId)).state).toBe('created');
  });

  it('the provider timing out on the charge: the outcome is resolved by re-fetching, never charged twice', async () => {
    await rig.saveCard();
    const s = await start();
    const [card] = cardsOnPage((await step(s.paymentId)).html);
    rig.answerLate(2_000);
    const sent = await pay(s.paymentId, card!.payToken);
    expect(sent.location).toBe(`/return/${s.paymentId}`);
    // Every way back in during the wait leads to the return, never to another charge.
    expect((await step(s.paymentId)).location).toBe(`/return/${s.paymentId}`);
    expect(
      (await pay(s.paymentId, cardsOnPage((await step(s.paymentId)).html)[0]?.payToken ?? card!.payToken))
        .location,
    ).toBe(`/return/${s.paymentId}`);
    await eventually(async () => expect((await paymentState(s.paymentId)).state).toBe('paid'));
    expect(rig.charges()).toBe(1);
    const back = await follow(`/return/${s.paymentId}`, w.url, (u) => !u.startsWith(w.url));
    expect(back.url).toBe(s.json.returnUrl);
    expect(w.ecwidOrder(s.json)?.paymentStatus).toBe('PAID');
  });
});
