import type { OrderDetails } from '../ecwid/paymentRequest';
import { applyProviderStatus } from '../payments/applyProviderStatus';
import type { PaymentDeps } from '../payments/deps';
import { isPaidOrAfter, type Payment } from '../payments/model';
import { enabledProviders, storeContext, loadOrder } from '../payments/providerContext';
import { findPayment } from '../payments/repository';
import { firstReceipt } from '../payments/webhookReceipts';
import type {
  PaymentProvider,
  ProviderObservation,
  SavedCardsSupport,
  StoreContext,
} from '../providers/types';
import type { Secrets } from '../secrets';
import { FORM_RECEIPTS, issueFormToken, readFormToken, type FormAction } from './formTokens';
import {
  beginAttempt,
  cardSavingCustomer,
  findCustomerById,
  findProviderCustomer,
  findSavedCard,
  inFlightAttempt,
  insertProviderCustomer,
  latestAttempt,
  listSavedCards,
  markCardRemoved,
  markCardSaving,
  markCardUsed,
  recordActionUrl,
  recordAttemptReference,
  reopenAfterAttempt,
  setAttemptStatus,
  syncSavedCards,
  attemptByReference,
  IN_FLIGHT,
  type Attempt,
  type ProviderCustomer,
  type SavedCard,
  type ShopperKey,
} from './repository';

/**
 * Saved cards for returning shoppers (docs/saved-cards.md): who may see and use a card, the checkout
 * step that offers them, the charge to a saved card and its idempotency, removal, and recording a
 * card once a payment that saved it is verified paid. No card number or CVC ever passes here: cards
 * are entered on the provider's own pages and known here by the provider's ids only.
 */

type Deps = PaymentDeps;

/** The merchant's switch (settings page): on unless the store turned it off. */
export function savedCardsEnabled(store: StoreContext): boolean {
  return store.settings?.savedCards !== false;
}

export interface Shopper {
  ecwidCustomerId: string;
  emailFingerprint: string;
}

/** The logged-in Ecwid shopper of an order; null for a guest (no customer id or no email). */
export function shopperOf(secrets: Secrets, order: OrderDetails): Shopper | null {
  const customerId = order.customerId?.trim();
  const email = order.email?.trim().toLowerCase();
  if (!customerId || !/^[A-Za-z0-9_-]{1,100}$/.test(customerId)) return null;
  if (!email || !/^[^\s@]+@[^\s@]+$/.test(email)) return null;
  return {
    ecwidCustomerId: customerId,
    emailFingerprint: secrets.fingerprint(`saved-cards:email\n${email}`),
  };
}

/** HMAC of the provider account the store uses (null: the provider has no keys for it). */
export function accountKey(secrets: Secrets, provider: PaymentProvider, store: StoreContext): string | null {
  const raw = provider.savedCards?.accountOf(store);
  return raw ? secrets.fingerprint(`saved-cards:account\n${provider.id}\n${raw}`) : null;
}

/** Whether a saved-card charge of this payment is in flight (charging, unknown, 3-D Secure pending). */
export async function savedCardInFlight(deps: Pick<Deps, 'db'>, paymentId: string): Promise<boolean> {
  return (await inFlightAttempt(deps.db, paymentId)) !== null;
}

export interface Notice {
  kind: 'declined' | 'card_gone' | 'not_charged';
  card: SavedCard | null;
  message: string | null;
}

export type SavedCardsStep =
  /** Guest, feature off, provider without saved cards, or a shopper we cannot match: the usual page. */
  | { kind: 'plain' }
  /** Offer the shopper's saved cards beside "use another method". */
  | { kind: 'offer'; cards: SavedCard[]; notice: Notice | null }
  /** The usual hosted page, for this provider customer, with card saving on. */
  | { kind: 'save'; customerId: string };

/**
 * What the checkout step does for a logged-in shopper about to pay with `provider`: offer their saved
 * cards (only while no checkout is open), or open the provider's page with card saving on (creating
 * the provider customer the first time).
 */
export async function savedCardsStep(
  deps: Deps,
  input: {
    payment: Payment;
    provider: PaymentProvider;
    store: StoreContext;
    order: OrderDetails;
    wantsOther: boolean;
  },
): Promise<SavedCardsStep> {
  const { payment, provider, store, order } = input;
  const support = provider.savedCards;
  if (!support || !savedCardsEnabled(store)) return { kind: 'plain' };
  const shopper = shopperOf(deps.secrets, order);
  if (!shopper) return { kind: 'plain' };
  const account = accountKey(deps.secrets, provider, store);
  if (!account) return { kind: 'plain' };
  const key: ShopperKey = {
    storeId: payment.storeId,
    ecwidCustomerId: shopper.ecwidCustomerId,
    provider: provider.id,
    account,
  };
  const log = deps.logger.child({ paymentId: payment.id, provider: provider.id });

  let customer = await findProviderCustomer(deps.db, key);
  if (customer && customer.emailFingerprint !== shopper.emailFingerprint) {
    log.info('saved cards not offered: the order email is not the one the cards were saved with');
    return { kind: 'plain' };
  }
  if (!customer) {
    const created = await support.createCustomer({
      store,
      order,
      lang: payment.lang,
      reference: { storeId: payment.storeId, ecwidCustomerId: shopper.ecwidCustomerId },
    });
    if (!created.ok) {
      log.warn(
        { reason: created.error.message },
        'provider customer not created: checkout without card saving',
      );
      return { kind: 'plain' };
    }
    customer = await insertProviderCustomer(deps.db, {
      ...key,
      providerCustomerId: created.value.customerId,
      emailFingerprint: shopper.emailFingerprint,
    });
    if (customer.emailFingerprint !== shopper.emailFingerprint) return { kind: 'plain' };
    log.info('provider customer created for a returning-shopper checkout');
    return { kind: 'save', customerId: customer.providerCustomerId };
  }

  const cards = await currentCards(deps, support, store, customer, log);
  const offerable = payment.state === 'created' && payment.provider === null;
  if (cards.length > 0 && offerable && !input.wantsOther) {
    return { kind: 'offer', cards, notice: await noticeFor(deps, payment.id) };
  }
  return { kind: 'save', customerId: customer.providerCustomerId };
}

/** The customer's cards as the provider has them now; the stored ones when it cannot be asked. */
async function currentCards(
  deps: Deps,
  support: SavedCardsSupport,
  store: StoreContext,
  customer: ProviderCustomer,
  log: Deps['logger'],
): Promise<SavedCard[]> {
  const listed = await support.listCards(store, customer.providerCustomerId);
  if (listed.ok) return syncSavedCards(deps.db, customer, listed.value);
  if (listed.notFound) {
    log.warn('the provider no longer has this customer: its saved cards are not offered');
    return syncSavedCards(deps.db, customer, []);
  }
  log.warn(
    { reason: listed.error.message },
    'saved cards not refreshed from the provider: showing the stored ones',
  );
  return listSavedCards(deps.db, customer);
}

async function noticeFor(deps: Deps, paymentId: string): Promise<Notice | null> {
  const last = await latestAttempt(deps.db, paymentId);
  if (!last || (last.status !== 'declined' && last.status !== 'card_gone' && last.status !== 'not_charged'))
    return null;
  // Sent to the provider's verification step, not a failure to tell about.
  if (last.status === 'not_charged' && last.message === VERIFICATION_REQUIRED) return null;
  return { kind: last.status, card: await findSavedCard(deps.db, last.savedCardId), message: last.message };
}

/** After a hosted checkout was opened with card saving: remember for which customer. */
export async function rememberCardSaving(deps: Pick<Deps, 'db'>, paymentId: string, customerId: string) {
  await markCardSaving(deps.db, paymentId, customerId);
}

export interface CardView {
  id: string;
  brand: string;
  last4: string;
  expires: string | null;
  payToken: string;
  removeToken: string;
}

/** The cards for the page, each with its own signed, single-use pay and remove tokens. */
export function cardViews(secrets: Secrets, paymentId: string, cards: SavedCard[]): CardView[] {
  const token = (action: FormAction, savedCardId: string) =>
    issueFormToken(secrets, { action, paymentId, savedCardId });
  return cards.map((c) => ({
    id: c.id,
    brand: brandName(c.brand),
    last4: c.last4,
    expires:
      c.expMonth && c.expYear
        ? `${String(c.expMonth).padStart(2, '0')}/${String(c.expYear % 100).padStart(2, '0')}`
        : null,
    payToken: token('pay', c.id),
    removeToken: token('remove', c.id),
  }));
}

export function brandName(brand: string): string {
  const b = brand.trim().toLowerCase();
  const known: Record<string, string> = {
    visa: 'Visa',
    mastercard: 'Mastercard',
    master_card: 'Mastercard',
    mc: 'Mastercard',
    amex: 'American Express',
    american_express: 'American Express',
    carnet: 'Carnet',
  };
  return known[b] ?? (b ? b.charAt(0).toUpperCase() + b.slice(1, 30) : 'Card');
}

// ---------------------------------------------------------------- who may use a card

export type RefusalReason =
  | 'card_unknown'
  | 'card_removed'
  | 'other_store'
  | 'provider_not_offered'
  | 'disabled'
  | 'guest'
  | 'other_customer'
  | 'other_account'
  | 'other_email';

interface Authorized {
  card: SavedCard;
  provider: PaymentProvider & { savedCards: SavedCardsSupport };
  store: StoreContext;
  order: OrderDetails;
}

/**
 * Whether this payment's shopper may use (or remove) this saved card: same store, provider offered for
 * the payment, feature on, same logged-in Ecwid customer, same email as when saved, same provider
 * account. Checked on every use, whatever the form says.
 */
export async function authorizeCard(
  deps: Deps,
  payment: Payment,
  savedCardId: string,
): Promise<{ ok: true; value: Authorized } | { ok: false; reason: RefusalReason }> {
  const card = await findSavedCard(deps.db, savedCardId);
  if (!card) return { ok: false, reason: 'card_unknown' };
  if (card.removedAt) return { ok: false, reason: 'card_removed' };
  if (card.storeId !== payment.storeId) return { ok: false, reason: 'other_store' };
  const store = await storeContext(deps, payment.storeId);
  const provider = enabledProviders(
    deps.providers,
    deps.defaultProviders,
    store,
    payment.total.currency,
  ).find((p) => p.id === card.provider);
  if (!provider?.savedCards) return { ok: false, reason: 'provider_not_offered' };
  if (!savedCardsEnabled(store)) return { ok: false, reason: 'disabled' };
  const order = await loadOrder(deps, payment);
  const shopper = shopperOf(deps.secrets, order);
  if (!shopper) return { ok: false, reason: 'guest' };
  if (shopper.ecwidCustomerId !== card.ecwidCustomerId) return { ok: false, reason: 'other_customer' };
  if (accountKey(deps.secrets, provider, store) !== card.account)
    return { ok: false, reason: 'other_account' };
  const customer = await findProviderCustomer(deps.db, card);
  if (!customer || customer.emailFingerprint !== shopper.emailFingerprint)
    return { ok: false, reason: 'other_email' };
  return {
    ok: true,
    value: { card, provider: provider as Authorized['provider'], store, order },
  };
}

// ---------------------------------------------------------------- the forms

export type FormOutcome =
  /** 303 to this URL. */
  | { kind: 'redirect'; url: string }
  /** Refused with this status; the page says why in plain words and leads back to the checkout step. */
  | {
      kind: 'refused';
      status: 403 | 404;
      reason: string;
      message: 'savedCardFormInvalid' | 'savedCardFormExpired' | 'savedCardRefused' | 'notFound';
      payment?: Payment;
    };

function checkoutStep(paymentId: string, provider: string, notice?: string): string {
  const q = new URLSearchParams({ provider, ...(notice ? { notice } : {}) });
  return `/pay/${paymentId}/checkout?${q.toString()}`;
}

/** Token, single use, and who may use the card: what both forms check before acting. */
async function admit(
  deps: Deps,
  paymentId: string,
  token: unknown,
  action: FormAction,
): Promise<{ ok: true; payment: Payment; auth: Authorized } | { ok: false; outcome: FormOutcome }> {
  const payment = await findPayment(deps.db, paymentId);
  if (!payment)
    return {
      ok: false,
      outcome: { kind: 'refused', status: 404, reason: 'payment not found', message: 'notFound' },
    };
  const read = readFormToken(deps.secrets, token, { action, paymentId });
  if (!read.ok) {
    return {
      ok: false,
      outcome: {
        kind: 'refused',
        status: 403,
        reason: `form token ${read.reason}`,
        message: read.reason === 'expired' ? 'savedCardFormExpired' : 'savedCardFormInvalid',
        payment,
      },
    };
  }
  // Before anything else is done with it: a token acts once (double click, replay).
  if (!(await firstReceipt(deps.db, FORM_RECEIPTS, read.claims.nonce))) {
    return { ok: false, outcome: { kind: 'redirect', url: `/return/${payment.id}` } };
  }
  const auth = await authorizeCard(deps, payment, read.claims.savedCardId);
  if (!auth.ok) {
    return {
      ok: false,
      outcome: {
        kind: 'refused',
        status: 403,
        reason: `saved card refused: ${auth.reason}`,
        message: 'savedCardRefused',
        payment,
      },
    };
  }
  return { ok: true, payment, auth: auth.value };
}

/**
 * "Pay with Visa •••• 4242", confirmed by the shopper: one charge to the saved card, whatever the
 * number of clicks. The provider's order id is recorded before its answer is acted upon; the answer
 * goes through the shared use case (paid), sends the shopper to 3-D Secure, or — declined, card gone,
 * nothing charged — puts the payment back to the checkout step with the reason, the Ecwid order
 * untouched and payable. An unknown outcome (timeout) is left to re-fetching, never retried.
 */
export async function payWithSavedCard(deps: Deps, paymentId: string, token: unknown): Promise<FormOutcome> {
  const admitted = await admit(deps, paymentId, token, 'pay');
  if (!admitted.ok) return admitted.outcome;
  return charge(deps, admitted.payment, admitted.auth);
}

/** What an attempt sent to the provider's verification step keeps as its message (no failure shown). */
export const VERIFICATION_REQUIRED = 'card verification at the provider required';

/** A card token as providers make them (opaque; bounded so a form cannot carry anything else). */
const CARD_TOKEN_PATTERN = /^[A-Za-z0-9_.:-]{4,200}$/;

/**
 * The verification step's form: the signed, single-use `t` (this payment, this card) and the card token
 * the provider's own component made in the shopper's browser. Same checks as "Pay with …", then the
 * charge with that token (the provider refuses a token of another customer's card).
 */
export async function payWithVerifiedCard(
  deps: Deps,
  paymentId: string,
  token: unknown,
  cardToken: unknown,
): Promise<FormOutcome> {
  // Checked before the form's token is used up: a form sent without a usable card token changes nothing.
  if (typeof cardToken !== 'string' || !CARD_TOKEN_PATTERN.test(cardToken)) {
    const payment = await findPayment(deps.db, paymentId);
    return {
      kind: 'refused',
      status: payment ? 403 : 404,
      reason: 'verification form without a usable card token',
      message: payment ? 'savedCardFormInvalid' : 'notFound',
      ...(payment ? { payment } : {}),
    };
  }
  const admitted = await admit(deps, paymentId, token, 'verify');
  if (!admitted.ok) return admitted.outcome;
  return charge(deps, admitted.payment, admitted.auth, cardToken);
}

export type VerificationStep =
  | { kind: 'redirect'; url: string }
  | Extract<FormOutcome, { kind: 'refused' }>
  | {
      kind: 'page';
      payment: Payment;
      card: SavedCard;
      providerName: string;
      sessionId: string;
      scriptUrl: string;
      origin: string;
      formToken: string;
    };

/**
 * `GET /pay/:id/saved-cards/verify?card=…`: the step where the provider's own component verifies the
 * card (Ecart: its security code, typed on Ecart's origin). Only while the payment waits for a checkout,
 * and only for a card this payment's shopper may use.
 */
export async function verificationStep(
  deps: Deps,
  paymentId: string,
  savedCardId: unknown,
): Promise<VerificationStep> {
  const payment = await findPayment(deps.db, paymentId);
  if (!payment) return { kind: 'refused', status: 404, reason: 'payment not found', message: 'notFound' };
  if (payment.state !== 'created' || payment.provider !== null)
    return { kind: 'redirect', url: `/return/${payment.id}` };
  const refused = (reason: string): VerificationStep => ({
    kind: 'refused',
    status: 403,
    reason,
    message: 'savedCardRefused',
    payment,
  });
  if (typeof savedCardId !== 'string') return refused('no card named');
  const auth = await authorizeCard(deps, payment, savedCardId);
  if (!auth.ok) return refused(`saved card refused: ${auth.reason}`);
  const { card, provider, store } = auth.value;
  const back = checkoutStep(payment.id, provider.id);
  if (!provider.savedCards.cardVerification) return { kind: 'redirect', url: back };
  const started = await provider.savedCards.cardVerification(store, card.providerCustomerId);
  if (!started.ok) {
    deps.logger.warn(
      { paymentId, provider: provider.id, reason: started.error.message },
      'card verification not started at the provider',
    );
    return { kind: 'redirect', url: checkoutStep(payment.id, provider.id, 'verify_failed') };
  }
  return {
    kind: 'page',
    payment,
    card,
    providerName: provider.displayName,
    ...started.value,
    formToken: issueFormToken(deps.secrets, { action: 'verify', paymentId, savedCardId: card.id }),
  };
}

async function charge(
  deps: Deps,
  payment: Payment,
  auth: Authorized,
  cardToken?: string,
): Promise<FormOutcome> {
  const paymentId = payment.id;
  const { card, provider, store, order } = auth;
  const log = deps.logger.child({ paymentId, provider: provider.id });
  const back = checkoutStep(payment.id, provider.id);

  const attempt = await deps.db.transaction((tx) => beginAttempt(tx, { paymentId: payment.id, card }));
  if (!attempt) {
    log.info('saved-card charge not started: one is in flight or the payment moved on');
    return { kind: 'redirect', url: `/return/${payment.id}` };
  }
  log.info({ savedCard: card.id }, 'saved-card charge started');

  let result: Awaited<ReturnType<SavedCardsSupport['chargeCard']>>;
  try {
    result = await provider.savedCards.chargeCard({
      payment: (await findPayment(deps.db, payment.id)) ?? payment,
      order,
      store,
      customerId: card.providerCustomerId,
      cardId: card.providerCardId,
      returnUrl: `${deps.appUrl}/return/${payment.id}`,
      notificationUrl: `${deps.appUrl}/webhooks/${provider.id}/${payment.id}`,
      lang: payment.lang,
      ...(cardToken ? { cardToken } : {}),
      record: async (reference) => {
        if (!(await recordAttemptReference(deps.db, attempt, reference)))
          throw new Error('the payment moved on before the provider order was recorded');
        attempt.providerReference = reference;
      },
    });
  } catch (error) {
    // Whatever happened, the provider may have been reached: leave it to re-fetching.
    log.error({ err: error }, 'saved-card charge interrupted: outcome left to re-fetching');
    await setAttemptStatus(deps.db, attempt.id, 'unknown', 'interrupted');
    return { kind: 'redirect', url: `/return/${payment.id}` };
  }
  return settle(deps, attempt, card, result, back, log);
}

async function settle(
  deps: Deps,
  attempt: Attempt,
  card: SavedCard,
  result: Awaited<ReturnType<SavedCardsSupport['chargeCard']>>,
  back: string,
  log: Deps['logger'],
): Promise<FormOutcome> {
  const paymentId = attempt.paymentId;
  switch (result.kind) {
    case 'verification_required':
      await setAttemptStatus(deps.db, attempt.id, 'not_charged', VERIFICATION_REQUIRED);
      await reopenAfterAttempt(deps.db, attempt, 'saved_card_not_charged', VERIFICATION_REQUIRED);
      log.info('the provider wants the card verified in its own component first');
      return {
        kind: 'redirect',
        url: `/pay/${paymentId}/saved-cards/verify?${new URLSearchParams({ card: card.id }).toString()}`,
      };
    case 'card_gone':
      await setAttemptStatus(deps.db, attempt.id, 'card_gone', result.message);
      await markCardRemoved(deps.db, card.id);
      await reopenAfterAttempt(deps.db, attempt, 'saved_card_gone', result.message);
      log.warn({ reason: result.message }, 'saved card no longer at the provider: removed here too');
      return { kind: 'redirect', url: back };
    case 'not_charged':
      await setAttemptStatus(deps.db, attempt.id, 'not_charged', result.error.message);
      await reopenAfterAttempt(deps.db, attempt, 'saved_card_not_charged', result.error.message);
      log.warn({ kind: result.error.kind, reason: result.error.message }, 'saved card not charged');
      return { kind: 'redirect', url: back };
    case 'unknown':
      await setAttemptStatus(deps.db, attempt.id, 'unknown', result.error.message);
      log.warn(
        { reason: result.error.message },
        'saved-card charge outcome unknown: resolved by re-fetching',
      );
      return { kind: 'redirect', url: `/return/${paymentId}` };
    case 'answered': {
      if (!attempt.providerReference) {
        await setAttemptStatus(deps.db, attempt.id, 'unknown', 'provider order not recorded');
        return { kind: 'redirect', url: `/return/${paymentId}` };
      }
      const o = result.observation;
      if (o.status === 'failed') {
        const message = o.message ?? null;
        await setAttemptStatus(deps.db, attempt.id, 'declined', message);
        const reopened = await reopenAfterAttempt(deps.db, attempt, 'saved_card_declined', message);
        log.info({ reopened }, 'saved card declined: the shopper may choose another card or method');
        return { kind: 'redirect', url: reopened ? back : `/return/${paymentId}` };
      }
      if (result.actionUrl && isHttpUrl(result.actionUrl)) {
        await setAttemptStatus(deps.db, attempt.id, 'action_required');
        await recordActionUrl(deps.db, attempt, result.actionUrl);
        log.info('saved-card charge needs 3-D Secure: shopper sent to authenticate');
        return { kind: 'redirect', url: result.actionUrl };
      }
      const applied = await applyProviderStatus(deps, paymentId, o, `${attempt.provider}:saved_card`);
      const now = applied.kind === 'not_found' ? null : applied.payment;
      if (now && isPaidOrAfter(now.state)) {
        await setAttemptStatus(deps.db, attempt.id, 'charged');
        await markCardUsed(deps.db, card.id);
        log.info('saved card charged');
      } else {
        await setAttemptStatus(deps.db, attempt.id, 'unknown', `provider status ${o.status}`);
      }
      return { kind: 'redirect', url: `/return/${paymentId}` };
    }
  }
}

/** "Remove": deletes the card at the provider, then here. */
export async function removeSavedCard(deps: Deps, paymentId: string, token: unknown): Promise<FormOutcome> {
  const admitted = await admit(deps, paymentId, token, 'remove');
  if (!admitted.ok) return admitted.outcome;
  const { payment, auth } = admitted;
  const { card, provider, store } = auth;
  const log = deps.logger.child({ paymentId, provider: provider.id });
  const deleted = await provider.savedCards.deleteCard(store, card.providerCustomerId, card.providerCardId);
  if (!deleted.ok && !deleted.notFound) {
    log.warn({ reason: deleted.error.message }, 'saved card not removed at the provider');
    return { kind: 'redirect', url: checkoutStep(payment.id, provider.id, 'remove_failed') };
  }
  await markCardRemoved(deps.db, card.id);
  log.info({ savedCard: card.id }, 'saved card removed by the shopper');
  return { kind: 'redirect', url: checkoutStep(payment.id, provider.id, 'removed') };
}

/**
 * Once a payment whose hosted checkout saved the card is paid (verified), the card is read from the
 * provider (never from the browser) and kept for display. Best effort: the next checkout step syncs too.
 */
export async function recordSavedCardAfterPayment(deps: Deps, payment: Payment): Promise<void> {
  if (!payment.provider || !isPaidOrAfter(payment.state)) return;
  const provider = deps.providers.get(payment.provider);
  if (!provider?.savedCards) return;
  const customerId = await cardSavingCustomer(deps.db, payment.id);
  if (!customerId) return;
  const customer = await findCustomerById(deps.db, provider.id, customerId);
  if (!customer || customer.storeId !== payment.storeId) return;
  const store = await storeContext(deps, payment.storeId);
  if (accountKey(deps.secrets, provider, store) !== customer.account) return;
  const listed = await provider.savedCards.listCards(store, customerId);
  if (!listed.ok) {
    deps.logger.warn(
      { paymentId: payment.id, reason: listed.error.message },
      'saved card not recorded yet: the next checkout step will',
    );
    return;
  }
  const cards = await syncSavedCards(deps.db, customer, listed.value);
  deps.logger.info({ paymentId: payment.id, cards: cards.length }, 'saved cards recorded after payment');
}

/**
 * A saved-card charge's order as re-fetched by a return, a poll or the reconciler, before the shared
 * use case applies it. Returns true when it was dealt with here (the caller applies nothing):
 *
 * - the charge of an attempt still in flight (3-D Secure pending, outcome unknown) turned out failed:
 *   declined by the bank or its authentication failed. Like a decline answered at once, nothing was
 *   charged: the attempt is `declined` with the reason, the payment goes back to waiting for a
 *   checkout (the checkout step shows the reason and the other cards), the Ecwid order stays payable;
 * - the order ended unpaid at the provider (expired, cancelled) while the attempt was in flight:
 *   nothing was charged either, the payment is released the same way (`not_charged`);
 * - the order belongs to an attempt already settled that way (a late or concurrent re-fetch with an
 *   older copy of the payment): it is no longer the payment's order, so nothing is applied.
 *
 * A paid (or refunded) order is always left to the shared use case: money taken is never ignored.
 */
export async function settleSavedCardObservation(
  deps: Deps,
  payment: Payment,
  observation: ProviderObservation,
): Promise<boolean> {
  if (!payment.providerReference) return false;
  const release = observation.status === 'open';
  if (!release && !['failed', 'expired', 'cancelled'].includes(observation.status)) return false;
  const attempt = await attemptByReference(deps.db, payment.id, payment.providerReference);
  if (!attempt) return false;
  const log = deps.logger.child({ paymentId: payment.id, provider: attempt.provider });
  if (release) return releaseIfNeverCharged(deps, payment, attempt, log);
  if (!IN_FLIGHT.includes(attempt.status)) {
    if (attempt.status === 'charged') return false;
    log.info({ status: observation.status }, 'saved-card order already settled here: nothing applied');
    return true;
  }
  const declined = observation.status === 'failed';
  const message = observation.message ?? null;
  const reopened = await deps.db.transaction(async (tx) => {
    const done = await reopenAfterAttempt(
      tx,
      attempt,
      declined ? 'saved_card_declined' : 'saved_card_not_charged',
      message,
    );
    if (done) await setAttemptStatus(tx, attempt.id, declined ? 'declined' : 'not_charged', message);
    return done;
  });
  if (reopened) {
    log.info(
      { was: attempt.status, status: observation.status },
      'saved-card charge not completed (declined or authentication failed): back to the checkout step',
    );
  }
  // Not reopened: the payment moved on meanwhile (another path got there first); nothing more here.
  return true;
}

/**
 * How long after a saved-card charge was sent its order may be cancelled when it still shows no
 * charge. The charge is one request, never retried, bounded by the client's timeout (10 s by default):
 * 15 minutes is far beyond any request still on its way, so nothing can land after the cancel (and a
 * cancelled order refuses charges anyway). It is also above the reconciler's default minimum age
 * (10 minutes), so the reconciler's first look at such a payment usually settles it.
 */
export const RELEASE_UNCHARGED_AFTER_MS = 15 * 60_000;

/**
 * A charge left in flight whose order still shows nothing (`open`): once old enough, the provider is
 * asked to make sure it never will be charged (Conekta: the order is cancelled); only then is the
 * payment released to the checkout step (attempt `not_charged`). A charge seen instead is applied.
 */
async function releaseIfNeverCharged(
  deps: Deps,
  payment: Payment,
  attempt: Attempt,
  log: Deps['logger'],
): Promise<boolean> {
  if (attempt.status !== 'unknown' && attempt.status !== 'charging') return false;
  if (Date.now() - attempt.createdAt.getTime() < RELEASE_UNCHARGED_AFTER_MS) return false;
  const provider = deps.providers.get(attempt.provider);
  const releaseUncharged = provider?.savedCards?.releaseUncharged;
  if (!releaseUncharged || !attempt.providerReference) return false;
  const outcome = await releaseUncharged({
    store: await storeContext(deps, payment.storeId),
    payment,
    orderId: attempt.providerReference,
    lang: payment.lang,
  });
  switch (outcome.kind) {
    case 'kept':
      log.warn({ reason: outcome.reason }, 'stale saved-card order not released: asked again later');
      return false;
    case 'charged': {
      const o = outcome.observation;
      log.warn({ status: o.status }, 'stale saved-card order shows a charge after all: applied');
      if (o.status === 'open') return true;
      if (await settleSavedCardObservation(deps, payment, o)) return true;
      await applyProviderStatus(deps, payment.id, o, `${attempt.provider}:saved_card`);
      return true;
    }
    case 'released': {
      const reopened = await deps.db.transaction(async (tx) => {
        const done = await reopenAfterAttempt(tx, attempt, 'saved_card_not_charged', outcome.message);
        if (done) await setAttemptStatus(tx, attempt.id, 'not_charged', outcome.message);
        return done;
      });
      log.warn({ reopened }, 'saved-card order never charged, cancelled at the provider: payment released');
      return true;
    }
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}
