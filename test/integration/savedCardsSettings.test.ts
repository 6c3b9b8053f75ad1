import { encryptEcwidPayload } from '../../src/ecwid/crypto';
import { TEST_CLIENT_SECRET } from '../support/app';
import { simulatedConekta, type ConektaWorld } from '../support/conekta';
import { testDatabases } from '../support/db';
import { startWorld } from '../support/harness';
import { cardsOnPage, follow, hop, postForm, typedCard } from '../support/savedCards';

/** The merchant's side: the per-store switch (default on) and the dashboard's saved-card count. */

const KEY = 'key_SavedCardsSettingsProbe8';
const STORE = 4_009_009;
const CUSTOMER = 6060001;
const EMAIL = 'dora.settings@example.com';

function adminPayload(): string {
  return encryptEcwidPayload(
    JSON.stringify({
      store_id: STORE,
      access_token: 'secret_adminTokenSavedCards1',
      lang: 'en',
      view_mode: 'PAGE',
    }),
    TEST_CLIENT_SECRET,
    'cbc',
  );
}

describe.each(testDatabases())('Saved cards on the settings page and dashboard, on %s', (kind) => {
  let w: ConektaWorld;

  beforeAll(async () => {
    w = await startWorld(kind, simulatedConekta({ privateKey: KEY }));
  });
  afterAll(async () => {
    await w?.close();
  });
  beforeEach(async () => {
    await w.reset();
  });

  const settingsPage = () => hop(`${w.url}/settings?payload=${adminPayload()}`);
  const token = (html: string) => /name="t" value="([^"]+)"/.exec(html)![1]!;
  const conektaFields = {
    enabled_conekta: 'on',
    conekta_mode: 'sandbox',
    conekta_lifetime_hours: '24',
  };
  const save = async (savedCards: boolean) => {
    const page = await settingsPage();
    const body = new URLSearchParams({ t: token(page.html), ...conektaFields, saved_cards_field: '1' });
    for (const m of ['card', 'cash', 'bank_transfer']) body.append('conekta_methods', m);
    if (savedCards) body.set('saved_cards', 'on');
    return hop(`${w.url}/settings`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: body.toString(),
    });
  };
  const start = () => w.flow.start({ currency: 'MXN', storeId: STORE, customerId: CUSTOMER, email: EMAIL });

  async function payAndSave() {
    const s = await start();
    const checkout = await hop(`${w.url}/pay/${s.paymentId}/checkout`);
    const paid = await postForm(
      `${checkout.location!}/card`,
      typedCard({ number: '4242424242424242', name: 'Dora', expiry: '10/31', save: true }),
    );
    await follow(paid.location!, w.url, (u) => !u.startsWith(w.url));
  }

  it('the switch is on by default; turned off, logged-in shoppers get the plain checkout and no customer', async () => {
    const page = await settingsPage();
    expect(page.status).toBe(200);
    expect(page.html).toMatch(/<input type="checkbox" name="saved_cards" id="saved_cards" checked>/);
    expect(page.html).toContain('Payments with a saved card: 0 (0 paid).');

    const off = await save(false);
    expect(off.status).toBe(200);
    expect(off.html).toMatch(/<input type="checkbox" name="saved_cards" id="saved_cards" >/);
    const stored = await w.t.db.query<{ settings: { savedCards?: boolean } }>(
      'SELECT settings FROM stores WHERE store_id = $1',
      [STORE],
    );
    expect(stored[0]!.settings.savedCards).toBe(false);

    const s = await start();
    const checkout = await hop(`${w.url}/pay/${s.paymentId}/checkout`);
    expect(checkout.status).toBe(303);
    expect(w.sim.state.listCustomers()).toEqual([]);
    const order = w.sim.state.listOrders()[0]!.order;
    expect(order.customer_info).toMatchObject({ email: EMAIL });
    expect(order.customer_info.customer_id).toBeUndefined();
  });

  it('turned off after cards were saved: they are neither offered nor usable; back on, they are', async () => {
    await payAndSave();
    const first = await start();
    const offered = await hop(`${w.url}/pay/${first.paymentId}/checkout`);
    const [card] = cardsOnPage(offered.html);
    expect(card).toBeDefined();

    await save(false);
    const s = await start();
    expect((await hop(`${w.url}/pay/${s.paymentId}/checkout`)).status).toBe(303);
    // A form rendered before the switch is refused now.
    const refused = await postForm(`${w.url}/pay/${first.paymentId}/saved-cards/pay`, { t: card!.payToken });
    expect(refused.status).toBe(403);

    await save(true);
    const again = await start();
    expect(cardsOnPage((await hop(`${w.url}/pay/${again.paymentId}/checkout`)).html)).toHaveLength(1);
  });

  it('the dashboard counts the payments made with a saved card and marks them', async () => {
    await payAndSave();
    const s = await start();
    const [card] = cardsOnPage((await hop(`${w.url}/pay/${s.paymentId}/checkout`)).html);
    await postForm(`${w.url}/pay/${s.paymentId}/saved-cards/pay`, { t: card!.payToken });
    const page = await settingsPage();
    expect(page.html).toContain('Payments with a saved card: 1 (1 paid).');
    const row = new RegExp(`data-payment-id="${s.paymentId}"[\\s\\S]*?</tr>`).exec(page.html)![0];
    expect(row).toContain('saved card');
  });
});
