/** Every shopper-facing text, in Spanish (the default) and English. */
export type Lang = 'es' | 'en';

const es = {
  htmlTitle: 'Pago',
  demoBanner: 'Modo demostración: ningún cobro es real.',
  loadingTitle: 'Preparando tu pago…',
  loadingBody: 'Te estamos llevando a la página de pago segura. No cierres esta ventana.',
  continue: 'Continuar al pago',
  chooserTitle: 'Elige cómo pagar',
  chooserBody: 'Tu pedido {order} por {amount}.',
  processingTitle: 'Estamos confirmando tu pago',
  processingBody: 'El medio de pago aún no nos confirma el resultado. Esta página se actualizará sola.',
  checkAgain: 'Comprobar de nuevo',
  backToStore: 'Volver a la tienda',
  tryAgain: 'Intentar de nuevo',
  errorTitle: 'No pudimos continuar',
  notFound: 'No encontramos este pago. Vuelve a la tienda e inténtalo de nuevo.',
  badRequest: 'La solicitud de pago de la tienda no es válida. Vuelve a la tienda e inténtalo de nuevo.',
  undecryptable:
    'No pudimos leer la solicitud de pago de la tienda. Vuelve a la tienda e inténtalo de nuevo.',
  unsupportedCurrency: 'Esta tienda cobra en una moneda que este medio de pago no acepta ({currency}).',
  invalidTotal: 'El total del pedido no es válido.',
  tooLarge: 'La solicitud es demasiado grande.',
  noProvider: 'No hay un medio de pago disponible para {currency} en esta tienda.',
  providerError: 'El medio de pago no respondió. Puedes intentarlo de nuevo en un momento.',
  providerRefused:
    'Este medio de pago no puede procesar este pedido. Vuelve a la tienda y elige otro medio de pago.',
  paymentFailed: 'El pago no se completó. Puedes intentarlo de nuevo o elegir otro medio de pago.',
  serverError: 'Algo salió mal de nuestro lado. Inténtalo de nuevo en un momento.',
  pageNotFound: 'Esta página no existe.',
  savedCardsTitle: 'Paga con una tarjeta guardada',
  savedCardsIntro:
    'Tus tarjetas guardadas en {provider}. Confirma y no te pediremos los datos de la tarjeta.',
  payWithSavedCard: 'Pagar con {brand} •••• {last4}',
  removeSavedCard: 'Eliminar {brand} •••• {last4}',
  savedCardExpires: 'Vence {date}',
  useAnotherMethod: 'Usar otro medio de pago',
  chooseAnotherProvider: 'Elegir otro proveedor de pago',
  savedCardDeclined:
    'El banco rechazó la tarjeta {card}. {reason} No se hizo ningún cargo: elige otra tarjeta u otro medio de pago.',
  savedCardDeclinedReason: '',
  savedCardGone:
    'La tarjeta {card} ya no está disponible. No se hizo ningún cargo: elige otra tarjeta u otro medio de pago.',
  savedCardNotCharged:
    'No pudimos cobrar la tarjeta {card} en este momento y no se hizo ningún cargo. Inténtalo de nuevo o elige otro medio de pago.',
  savedCardRemoved: 'Eliminamos la tarjeta.',
  savedCardRemoveFailed: 'No pudimos eliminar la tarjeta ahora. Inténtalo de nuevo en un momento.',
  savedCardVerifyTitle: 'Confirma tu tarjeta',
  savedCardVerifyIntro:
    '{provider} pide confirmar la tarjeta {card}: escribe su código de seguridad en el recuadro de {provider}. Ese código va directo a {provider}; nosotros no lo vemos.',
  savedCardVerifyWaiting: 'Cargando el recuadro seguro de {provider}…',
  savedCardVerifyFailed:
    'No pudimos abrir la confirmación de la tarjeta ahora. Elige otra tarjeta u otro medio de pago.',
  savedCardFormInvalid: 'Esta confirmación no es válida. Vuelve al paso de pago y elige de nuevo.',
  savedCardFormExpired: 'Esta confirmación caducó. Vuelve al paso de pago y elige de nuevo.',
  savedCardRefused: 'Esta tarjeta no se puede usar para este pago. Elige otra tarjeta u otro medio de pago.',
};

const en: typeof es = {
  htmlTitle: 'Payment',
  demoBanner: 'Demo mode: no charge is real.',
  loadingTitle: 'Preparing your payment…',
  loadingBody: 'We are taking you to the secure payment page. Please do not close this window.',
  continue: 'Continue to payment',
  chooserTitle: 'Choose how to pay',
  chooserBody: 'Your order {order} for {amount}.',
  processingTitle: 'We are confirming your payment',
  processingBody: 'The payment provider has not confirmed the result yet. This page updates by itself.',
  checkAgain: 'Check again',
  backToStore: 'Back to the store',
  tryAgain: 'Try again',
  errorTitle: 'We could not continue',
  notFound: 'We could not find this payment. Go back to the store and try again.',
  badRequest: 'The store’s payment request is not valid. Go back to the store and try again.',
  undecryptable: 'We could not read the store’s payment request. Go back to the store and try again.',
  unsupportedCurrency: 'This store charges in a currency this payment method does not take ({currency}).',
  invalidTotal: 'The order total is not valid.',
  tooLarge: 'The request is too large.',
  noProvider: 'No payment method is available for {currency} in this store.',
  providerError: 'The payment provider did not answer. You can try again in a moment.',
  providerRefused:
    'This payment method cannot process this order. Go back to the store and choose another one.',
  paymentFailed: 'The payment was not completed. You can try again or choose another payment method.',
  serverError: 'Something went wrong on our side. Please try again in a moment.',
  pageNotFound: 'This page does not exist.',
  savedCardsTitle: 'Pay with a saved card',
  savedCardsIntro:
    'Your cards saved with {provider}. Confirm and we will not ask for the card details again.',
  payWithSavedCard: 'Pay with {brand} •••• {last4}',
  removeSavedCard: 'Remove {brand} •••• {last4}',
  savedCardExpires: 'Expires {date}',
  useAnotherMethod: 'Use another method',
  chooseAnotherProvider: 'Choose another payment provider',
  savedCardDeclined:
    'The bank declined the card {card}. {reason} Nothing was charged: choose another card or payment method.',
  savedCardDeclinedReason: '',
  savedCardGone:
    'The card {card} is no longer available. Nothing was charged: choose another card or payment method.',
  savedCardNotCharged:
    'We could not charge the card {card} right now and nothing was charged. Try again or choose another payment method.',
  savedCardRemoved: 'The card was removed.',
  savedCardRemoveFailed: 'We could not remove the card right now. Please try again in a moment.',
  savedCardVerifyTitle: 'Confirm your card',
  savedCardVerifyIntro:
    '{provider} asks to confirm the card {card}: type its security code in the {provider} box. That code goes straight to {provider}; we never see it.',
  savedCardVerifyWaiting: 'Loading the secure {provider} box…',
  savedCardVerifyFailed: 'We could not open the card confirmation right now. Choose another card or method.',
  savedCardFormInvalid: 'This confirmation is not valid. Go back to the payment step and choose again.',
  savedCardFormExpired: 'This confirmation has expired. Go back to the payment step and choose again.',
  savedCardRefused: 'This card cannot be used for this payment. Choose another card or payment method.',
};

export type MessageKey = keyof typeof es;
export type Messages = Record<MessageKey, string>;

const catalog: Record<Lang, Messages> = { es, en };

export function messages(lang: Lang): Messages {
  return catalog[lang];
}

export function format(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, key: string) => values[key] ?? `{${key}}`);
}

/** Language from the browser for pages that have no payment yet (errors, 404s). */
export function langFromHeader(acceptLanguage: string | undefined): Lang {
  return acceptLanguage?.trim().toLowerCase().startsWith('en') ? 'en' : 'es';
}
