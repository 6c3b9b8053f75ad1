import type { Queryable } from '../db';
import type { PaymentRequest } from '../ecwid/paymentRequest';
import { saveStoreToken } from '../merchants/stores';
import { sameMoney } from '../money';
import type { PaymentDeps } from './deps';
import { isPaidOrAfter, OPEN_STATES, type Payment } from './model';
import {
  compareAndSetState,
  findLatestAttempt,
  insertFirstAttempt,
  insertPayment,
  recordEvent,
  refreshReentry,
} from './repository';

export type StartPaymentResult =
  /** A new attempt (first click, or the amount changed, or the last attempt ended unpaid). */
  | { kind: 'created'; payment: Payment }
  /** The same order clicked again with the same amount: same payment, latest returnUrl. */
  | { kind: 'reused'; payment: Payment }
  /** This order is already paid: send the shopper back to the store. */
  | { kind: 'already_paid'; payment: Payment };

const UNIQUE_VIOLATION = '23505';

/** Records an Ecwid payment request: the store's sealed token and the payment attempt. */
export async function startPayment(
  deps: Pick<PaymentDeps, 'db' | 'secrets'>,
  request: PaymentRequest,
): Promise<StartPaymentResult> {
  const orderSealed = deps.secrets.seal(JSON.stringify(request.order));
  let tokenSaved = false;
  // Two concurrent clicks can both find no open attempt; the unique index lets one win, the other retries.
  for (let tries = 0; ; tries++) {
    try {
      // An order's first request: one statement (no transaction), which also reads the store's token.
      const first = await insertFirstAttempt(deps.db, {
        storeId: request.storeId,
        referenceTransactionId: request.referenceTransactionId,
        ecwidOrderId: request.order.ecwidOrderId,
        amount: request.total.amount,
        currency: request.total.currency,
        lang: request.lang,
        returnUrl: request.returnUrl,
        orderSealed,
      });
      if (!tokenSaved && !sameToken(deps, first.storeTokenSealed, request.token)) {
        // A store seen for the first time, a new token, or one forgotten at uninstall: keep it.
        await saveStoreToken(deps.db, request.storeId, deps.secrets.seal(request.token));
        tokenSaved = true;
        // The store row did not exist: the attempt could not reference it yet.
        if (!first.storeKnown) continue;
      }
      if (first.payment) return { kind: 'created', payment: first.payment };
      return await deps.db.transaction((tx) => upsertAttempt(tx, request, orderSealed));
    } catch (error) {
      if (tries < 2 && (error as { code?: string }).code === UNIQUE_VIOLATION) continue;
      throw error;
    }
  }
}

/**
 * Whether the stored token is the one Ecwid just sent. The token is written only when it changed,
 * outside any payment transaction: every payment of a store used to rewrite (and lock) the one store
 * row until its transaction committed, so a store's payment requests queued behind each other.
 */
function sameToken(deps: Pick<PaymentDeps, 'secrets'>, sealed: string | null, token: string): boolean {
  if (!sealed) return false;
  try {
    return deps.secrets.unseal(sealed) === token;
  } catch {
    return false; // sealed with a key we no longer have: replace it
  }
}

async function upsertAttempt(
  tx: Queryable,
  request: PaymentRequest,
  orderSealed: string,
): Promise<StartPaymentResult> {
  const latest = await findLatestAttempt(tx, request.storeId, request.referenceTransactionId);
  const reentry = { returnUrl: request.returnUrl, lang: request.lang, orderSealed };

  if (latest && isPaidOrAfter(latest.state)) {
    return { kind: 'already_paid', payment: await refreshReentry(tx, latest.id, reentry) };
  }
  if (latest && OPEN_STATES.includes(latest.state)) {
    if (sameMoney(latest.total, request.total)) {
      return { kind: 'reused', payment: await refreshReentry(tx, latest.id, reentry) };
    }
    // The cart changed: this attempt can no longer be paid for the right amount.
    const superseded = await compareAndSetState(tx, latest, { to: 'cancelled' });
    if (!superseded)
      throw Object.assign(new Error('payment changed concurrently'), { code: UNIQUE_VIOLATION });
    await recordEvent(tx, {
      paymentId: latest.id,
      kind: 'superseded',
      from: latest.state,
      to: 'cancelled',
      source: 'ecwid',
      detail: { reason: 'amount or currency changed' },
    });
  }
  const payment = await insertPayment(tx, {
    storeId: request.storeId,
    referenceTransactionId: request.referenceTransactionId,
    ecwidOrderId: request.order.ecwidOrderId,
    attempt: (latest?.attempt ?? 0) + 1,
    amount: request.total.amount,
    currency: request.total.currency,
    lang: request.lang,
    returnUrl: request.returnUrl,
    orderSealed,
  });
  await recordEvent(tx, { paymentId: payment.id, kind: 'created', to: 'created', source: 'ecwid' });
  return { kind: 'created', payment };
}
