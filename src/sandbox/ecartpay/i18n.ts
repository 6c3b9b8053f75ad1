/** Texts of the Ecart Pay simulator's pay page (Spanish by default, English). */
export type SimLang = 'es' | 'en';

export function simLang(value: unknown): SimLang {
  return typeof value === 'string' && value.toLowerCase().startsWith('en') ? 'en' : 'es';
}

const es = {
  banner: 'Ecart Pay sandbox (simulador): ningún cobro es real',
  brand: 'Ecart Pay',
  language: 'Idioma',
  payTitle: 'Pagar pedido',
  order: 'Pedido',
  items: 'Concepto',
  quantity: 'Cant.',
  price: 'Precio',
  total: 'Total',
  customer: 'Cliente',
  status: 'Estado',
  testCard: 'Tarjeta de prueba',
  testCardText: '4242 4242 4242 4242 · CVC 111 · cualquier fecha futura',
  approve: 'Pagar',
  decline: 'Simular rechazo',
  cancel: 'Cancelar y volver a la tienda',
  choose: 'Elige el resultado del pago simulado:',
  doneTitle: 'Este pedido ya no está pendiente',
  backToStore: 'Volver a la tienda',
  notFoundTitle: 'Pedido no encontrado',
  notFoundText: 'No encontramos ese pedido de Ecart Pay.',
  cardTitle: 'Paga con tarjeta',
  cardNumber: 'Número de tarjeta',
  cardName: 'Nombre del titular',
  cardExpiry: 'Vencimiento (MM/AA)',
  cardCvc: 'CVC',
  payCard: 'Pagar con tarjeta',
  saveCard: 'Guardar esta tarjeta para mis próximas compras en esta tienda',
  cardHint:
    '4242 4242 4242 4242 aprueba; 4000 0000 0000 0127 es rechazada; 4000 0000 0000 2503 pide 3-D Secure en compras futuras.',
  threeDsTitle: 'Verificación de tu banco (3-D Secure)',
  threeDsText: 'Tu banco pide confirmar el pago de este pedido.',
  threeDsApprove: 'Confirmar el pago',
  threeDsFail: 'No reconozco este pago',
  threeDsHint: 'Solo en el simulador: elige si la autenticación del banco tiene éxito o falla.',
  threeDsDone: 'Esta verificación ya terminó.',
  statuses: {
    created: 'Pendiente de pago',
    paid: 'Pagado',
    declined: 'Rechazado',
    cancelled: 'Cancelado',
    expired: 'Vencido',
    refunded: 'Reembolsado',
    partially_refunded: 'Reembolsado en parte',
  } as Record<string, string>,
};

const en: typeof es = {
  banner: 'Ecart Pay sandbox (simulator): no charge is real',
  brand: 'Ecart Pay',
  language: 'Language',
  payTitle: 'Pay order',
  order: 'Order',
  items: 'Item',
  quantity: 'Qty',
  price: 'Price',
  total: 'Total',
  customer: 'Customer',
  status: 'Status',
  testCard: 'Test card',
  testCardText: '4242 4242 4242 4242 · CVC 111 · any future date',
  approve: 'Pay',
  decline: 'Simulate a decline',
  cancel: 'Cancel and go back to the store',
  choose: 'Choose the outcome of the simulated payment:',
  doneTitle: 'This order is no longer awaiting payment',
  backToStore: 'Back to the store',
  notFoundTitle: 'Order not found',
  notFoundText: 'We could not find that Ecart Pay order.',
  cardTitle: 'Pay by card',
  cardNumber: 'Card number',
  cardName: 'Cardholder name',
  cardExpiry: 'Expiry (MM/YY)',
  cardCvc: 'CVC',
  payCard: 'Pay by card',
  saveCard: 'Save this card for my next purchases in this store',
  cardHint:
    '4242 4242 4242 4242 approves; 4000 0000 0000 0127 is declined; 4000 0000 0000 2503 asks for 3-D Secure on later purchases.',
  threeDsTitle: 'Your bank’s verification (3-D Secure)',
  threeDsText: 'Your bank asks you to confirm the payment of this order.',
  threeDsApprove: 'Confirm the payment',
  threeDsFail: 'I do not recognise this payment',
  threeDsHint: 'Simulator only: choose whether the bank’s authentication succeeds or fails.',
  threeDsDone: 'This verification is over.',
  statuses: {
    created: 'Awaiting payment',
    paid: 'Paid',
    declined: 'Declined',
    cancelled: 'Cancelled',
    expired: 'Expired',
    refunded: 'Refunded',
    partially_refunded: 'Partially refunded',
  },
};

export type SimTexts = typeof es;

export function simTexts(lang: SimLang): SimTexts {
  return lang === 'en' ? en : es;
}

/** Amounts for people, in the page's language. */
export function formatAmount(amount: number, currency: string, lang: SimLang): string {
  try {
    return new Intl.NumberFormat(lang === 'en' ? 'en-US' : 'es-MX', {
      style: 'currency',
      currency,
      minimumFractionDigits: 2,
      maximumFractionDigits: 2,
    }).format(amount);
  } catch {
    return `${amount.toFixed(2)} ${currency}`;
  }
}
