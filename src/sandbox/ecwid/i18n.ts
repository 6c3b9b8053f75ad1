import type { SimLang } from '../i18n';

export { simLang, type SimLang } from '../i18n';

/** Texts of the simulator's storefront pages (Spanish by default, English). */
const es = {
  demoBanner: 'Demo / simulador de Ecwid: ninguna compra es real',
  storeTitle: 'Tienda Demo',
  merchantView: 'Vista del comerciante',
  adminTitle: 'Panel de Ecwid (simulado): app de pagos',
  storeIntro: 'Una tienda Ecwid simulada para probar la app de pagos. Elige un carrito y paga.',
  carts: 'Carritos',
  items: 'Productos',
  quantity: 'Cant.',
  subtotal: 'Subtotal',
  shipping: 'Envío',
  handlingFee: 'Cargo por manejo',
  total: 'Total',
  email: 'Correo electrónico',
  storeId: 'ID de la tienda',
  goToPayment: 'Ir a pagar',
  customCart: 'Carrito a medida',
  currency: 'Moneda',
  amount: 'Monto',
  recentOrders: 'Pedidos recientes',
  noOrders: 'Aún no hay pedidos.',
  order: 'Pedido',
  status: 'Estado del pago',
  language: 'Idioma',
  redirectTitle: 'Redirigiendo al pago…',
  redirectText: 'Te estamos llevando a la página de pago. Si no pasa nada, pulsa el botón.',
  continueToPayment: 'Continuar al pago',
  paidTitle: '¡Gracias por tu compra!',
  paidText: 'Recibimos tu pago. Tu carrito quedó vacío.',
  placedTitle: 'Pedido realizado',
  placedText: 'Tu pedido está registrado y espera el pago.',
  checkoutTitle: 'Finalizar compra',
  checkoutText: 'El pago no se completó. Tu carrito sigue intacto: puedes intentarlo de nuevo.',
  paymentErrorTitle: 'Error en el pago',
  paymentErrorText: 'El pago de este pedido fue cancelado.',
  refundedTitle: 'Pedido reembolsado',
  refundedText: 'El pago de este pedido fue reembolsado.',
  tryAgain: 'Intentar de nuevo',
  backToStore: 'Volver a la tienda',
  errorTitle: 'No se pudo continuar',
  invalidReturn: 'El enlace de regreso no es válido.',
  orderNotFound: 'No encontramos ese pedido.',
  invalidCheckout: 'Los datos del carrito no son válidos.',
};

const en: typeof es = {
  demoBanner: 'Demo / Ecwid simulator: no purchase is real',
  storeTitle: 'Demo Store',
  merchantView: 'Merchant view',
  adminTitle: 'Ecwid admin (simulated): payments app',
  storeIntro: 'A simulated Ecwid store to try the payment app. Pick a cart and pay.',
  carts: 'Carts',
  items: 'Items',
  quantity: 'Qty',
  subtotal: 'Subtotal',
  shipping: 'Shipping',
  handlingFee: 'Handling fee',
  total: 'Total',
  email: 'Email',
  storeId: 'Store ID',
  goToPayment: 'Go to Payment',
  customCart: 'Custom cart',
  currency: 'Currency',
  amount: 'Amount',
  recentOrders: 'Recent orders',
  noOrders: 'No orders yet.',
  order: 'Order',
  status: 'Payment status',
  language: 'Language',
  redirectTitle: 'Redirecting to payment…',
  redirectText: 'We are taking you to the payment page. If nothing happens, press the button.',
  continueToPayment: 'Continue to payment',
  paidTitle: 'Thank you for your order!',
  paidText: 'We received your payment. Your cart is now empty.',
  placedTitle: 'Order placed',
  placedText: 'Your order is placed and awaits payment.',
  checkoutTitle: 'Checkout',
  checkoutText: 'The payment was not completed. Your cart is intact: you can try again.',
  paymentErrorTitle: 'Payment error',
  paymentErrorText: 'The payment for this order was cancelled.',
  refundedTitle: 'Order refunded',
  refundedText: 'The payment for this order was refunded.',
  tryAgain: 'Try again',
  backToStore: 'Back to the store',
  errorTitle: 'Cannot continue',
  invalidReturn: 'The return link is not valid.',
  orderNotFound: 'We could not find that order.',
  invalidCheckout: 'The cart data is not valid.',
};

export type SimTexts = typeof es;

export function simTexts(lang: SimLang): SimTexts {
  return lang === 'en' ? en : es;
}

/** Amounts for people, in the page's language. */
export function formatAmount(amount: number, currency: string, lang: SimLang): string {
  const digits = currency === 'CLP' || currency === 'PYG' ? 0 : 2;
  try {
    return new Intl.NumberFormat(lang === 'en' ? 'en-US' : currency === 'CLP' ? 'es-CL' : 'es-MX', {
      style: 'currency',
      currency,
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    }).format(amount);
  } catch {
    return `${amount} ${currency}`;
  }
}
