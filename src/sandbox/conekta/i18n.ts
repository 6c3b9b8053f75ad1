import { formatTwoDecimals, type SimLang } from '../i18n';

export { simLang } from '../i18n';

/** Texts of the simulated Conekta hosted checkout (Spanish by default, English). */
const es = {
  demoBanner: 'Demo / simulador de Conekta: ningún cobro es real',
  brand: 'Conekta (simulador)',
  title: 'Pago seguro',
  order: 'Concepto',
  total: 'Total a pagar',
  expires: 'Vence',
  language: 'Idioma',
  card: 'Tarjeta de crédito o débito',
  cardNumber: 'Número de tarjeta',
  cardName: 'Nombre del titular',
  cardExpiry: 'Vencimiento (MM/AA)',
  cardCvc: 'CVC',
  payCard: 'Pagar con tarjeta',
  testCards:
    'Tarjetas de prueba: 4242 4242 4242 4242 aprueba; 4000 0000 0000 0127 rechaza por fondos insuficientes.',
  cash: 'Efectivo en OXXO',
  cashText: 'Genera una referencia y paga en cualquier tienda OXXO.',
  payCash: 'Generar referencia OXXO',
  spei: 'Transferencia SPEI',
  speiText: 'Genera una CLABE y transfiere desde tu banca en línea.',
  paySpei: 'Generar CLABE SPEI',
  unknownCard: 'Usa una de las tarjetas de prueba indicadas abajo.',
  voucherTitle: 'Tu referencia de pago',
  cashVoucherText: 'Presenta esta referencia en cualquier tienda OXXO y paga el total antes del vencimiento.',
  speiVoucherText: 'Transfiere el total a esta CLABE antes del vencimiento.',
  reference: 'Referencia',
  clabe: 'CLABE',
  bank: 'Banco',
  backToMerchant: 'Volver a la tienda',
  simulatePayment: 'Simular pago en tienda / banco',
  simulateHint: 'Solo en el simulador: marca la referencia como pagada y envía el webhook order.paid.',
  paidTitle: 'Pago recibido',
  paidText: 'El pago fue confirmado. La tienda recibió la notificación.',
  closedTitle: 'Este enlace de pago ya no está disponible',
  status: 'Estado',
  errorTitle: 'No se pudo continuar',
  notFound: 'No encontramos este enlace de pago.',
  notPayable: 'Este pedido ya no se puede pagar (estado: {status}).',
  saveCard: 'Guardar esta tarjeta para mis próximas compras en esta tienda',
  threeDsTitle: 'Verificación de tu banco (3-D Secure)',
  threeDsText: 'Tu banco pide confirmar este cargo de {amount} a la tarjeta •••• {last4}.',
  threeDsApprove: 'Confirmar el cargo',
  threeDsFail: 'No reconozco este cargo',
  threeDsHint: 'Solo en el simulador: elige si la autenticación del banco tiene éxito o falla.',
  threeDsDone: 'Esta verificación ya terminó.',
};

const en: typeof es = {
  demoBanner: 'Demo / Conekta simulator: no charge is real',
  brand: 'Conekta (simulator)',
  title: 'Secure payment',
  order: 'For',
  total: 'Total to pay',
  expires: 'Expires',
  language: 'Language',
  card: 'Credit or debit card',
  cardNumber: 'Card number',
  cardName: 'Cardholder name',
  cardExpiry: 'Expiry (MM/YY)',
  cardCvc: 'CVC',
  payCard: 'Pay by card',
  testCards:
    'Test cards: 4242 4242 4242 4242 approves; 4000 0000 0000 0127 is declined (insufficient funds).',
  cash: 'Cash at OXXO',
  cashText: 'Get a reference and pay at any OXXO store.',
  payCash: 'Get an OXXO reference',
  spei: 'SPEI bank transfer',
  speiText: 'Get a CLABE and transfer from your online banking.',
  paySpei: 'Get a SPEI CLABE',
  unknownCard: 'Use one of the test cards listed below.',
  voucherTitle: 'Your payment reference',
  cashVoucherText: 'Show this reference at any OXXO store and pay the total before it expires.',
  speiVoucherText: 'Transfer the total to this CLABE before it expires.',
  reference: 'Reference',
  clabe: 'CLABE',
  bank: 'Bank',
  backToMerchant: 'Back to the store',
  simulatePayment: 'Simulate paying at the store / bank',
  simulateHint: 'Simulator only: marks the reference paid and sends the order.paid webhook.',
  paidTitle: 'Payment received',
  paidText: 'The payment is confirmed. The store has been notified.',
  closedTitle: 'This payment link is no longer available',
  status: 'Status',
  errorTitle: 'Cannot continue',
  notFound: 'We could not find this payment link.',
  notPayable: 'This order can no longer be paid (status: {status}).',
  saveCard: 'Save this card for my next purchases in this store',
  threeDsTitle: 'Your bank’s verification (3-D Secure)',
  threeDsText: 'Your bank asks you to confirm this charge of {amount} to the card •••• {last4}.',
  threeDsApprove: 'Confirm the charge',
  threeDsFail: 'I do not recognise this charge',
  threeDsHint: 'Simulator only: choose whether the bank’s authentication succeeds or fails.',
  threeDsDone: 'This verification is over.',
};

export type SimTexts = typeof es;

export function simTexts(lang: SimLang): SimTexts {
  return lang === 'en' ? en : es;
}

/** Centavos for people: `$1,234.50 MXN`. */
export function formatCents(amount: number, currency: string, lang: SimLang): string {
  return formatTwoDecimals(amount / 100, currency, lang);
}

export function formatDate(seconds: number, lang: SimLang): string {
  return new Intl.DateTimeFormat(lang === 'en' ? 'en-US' : 'es-MX', {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone: 'America/Mexico_City',
  }).format(new Date(seconds * 1000));
}
