import type { SimLang } from '../i18n';

/** Texts of the ETpay simulator's pages: Spanish (ETpay's language, the default) and English. */
const es = {
  demoBanner: 'Simulador de ETpay (demo): ninguna transferencia es real',
  brand: 'ETpay · simulador',
  language: 'Idioma',
  funnelTitle: 'Paga con transferencia bancaria',
  funnelIntro: 'Elige tu banco y autoriza la transferencia. Este simulador imita el funnel de ETpay.',
  merchant: 'Comercio',
  order: 'Orden',
  amount: 'Monto a pagar',
  bank: 'Tu banco',
  approve: 'Autorizar transferencia',
  reject: 'Rechazar (transferencia fallida)',
  cancel: 'Volver al comercio sin pagar',
  attempts: 'Intentos anteriores',
  attemptFailed: 'Transferencia rechazada',
  attemptSuccess: 'Transferencia aprobada',
  paidTitle: 'Pago completado',
  paidText: 'Esta sesión ya fue pagada.',
  failedTitle: 'Transferencia rechazada',
  failedText: 'El banco rechazó la transferencia.',
  cancelledTitle: 'Pago cancelado',
  cancelledText: 'Volviste al comercio sin pagar.',
  backToMerchant: 'Volver al comercio',
  errorTitle: 'No se pudo continuar',
  sessionNotFound: 'La sesión de pago no existe o expiró.',
  alreadyPaid: 'Esta sesión ya fue pagada: no acepta más transferencias.',
  invalidAction: 'Acción no válida.',
  footer: 'Simulador de ETpay · demo',
};

const en: typeof es = {
  demoBanner: 'ETpay simulator (demo): no transfer is real',
  brand: 'ETpay · simulator',
  language: 'Language',
  funnelTitle: 'Pay by bank transfer',
  funnelIntro: 'Pick your bank and authorise the transfer. This simulator imitates ETpay’s funnel.',
  merchant: 'Merchant',
  order: 'Order',
  amount: 'Amount to pay',
  bank: 'Your bank',
  approve: 'Authorise transfer',
  reject: 'Reject (failed transfer)',
  cancel: 'Back to the merchant without paying',
  attempts: 'Previous attempts',
  attemptFailed: 'Transfer rejected',
  attemptSuccess: 'Transfer approved',
  paidTitle: 'Payment complete',
  paidText: 'This session is already paid.',
  failedTitle: 'Transfer rejected',
  failedText: 'The bank rejected the transfer.',
  cancelledTitle: 'Payment cancelled',
  cancelledText: 'You went back to the merchant without paying.',
  backToMerchant: 'Back to the merchant',
  errorTitle: 'Could not continue',
  sessionNotFound: 'The payment session does not exist or has expired.',
  alreadyPaid: 'This session is already paid: it takes no more transfers.',
  invalidAction: 'Invalid action.',
  footer: 'ETpay simulator · demo',
};

export type EtpaySimTexts = typeof es;

export function etpaySimTexts(lang: SimLang): EtpaySimTexts {
  return lang === 'en' ? en : es;
}

/** `$15.990` (CLP) or `$1,500 MXN`-style display of ETpay's integer amounts. */
export function formatEtpayAmount(amount: number, currency: string, lang: SimLang): string {
  try {
    return new Intl.NumberFormat(lang === 'en' ? 'en-US' : currency === 'MXN' ? 'es-MX' : 'es-CL', {
      style: 'currency',
      currency,
      maximumFractionDigits: 0,
    }).format(amount);
  } catch {
    return `${amount} ${currency}`;
  }
}
