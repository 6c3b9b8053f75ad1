import type { Queryable } from '../db';
import type { PaymentRequest } from '../ecwid/paymentRequest';
import { saveStoreToken } from '../merchants/stores';
import { sameMoney } from '../money';
import type { PaymentDeps } from './deps';
import { isPaidOrAfter, OPEN_STATES, type Payment } from './model';
import {
  compareAndSetState,
  findLatestAttempt,
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
  const tokenSealed = deps.secrets.seal(request.token);
  const orderSealed = deps.secrets.seal(JSON.stringify(request.order));
  // Two concurrent clicks can both find no open attempt; the unique index lets one win, the other retries.
  for (let tries = 0; ; tries++) {
    try {
      return await deps.db.transaction((tx) => upsertAttempt(tx, request, tokenSealed, orderSealed));
    } catch (error) {
      if (tries < 2 && (error as { code?: string }).code === UNIQUE_VIOLATION) continue;
      throw error;
    }
  }
}

async function upsertAttempt(
  tx: Queryable,
  request: PaymentRequest,
  tokenSealed: string,
  orderSealed: string,
): Promise<StartPaymentResult> {
  await saveStoreToken(tx, request.storeId, tokenSealed);
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
