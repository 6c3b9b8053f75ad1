import type { Lang } from '../web/i18n';

/** The merchant's side of saved cards (settings page switch, dashboard count), es and en. */
const es = {
  title: 'Tarjetas guardadas',
  label: 'Ofrecer tarjetas guardadas a clientes con sesión iniciada (Conekta y Ecart Pay)',
  hint: 'Las tarjetas se capturan y guardan solo en la página del proveedor; esta app guarda su marca, últimos 4 dígitos y vencimiento.',
  usage: 'Pagos con tarjeta guardada: {payments} ({paid} pagados).',
  marker: 'tarjeta guardada',
};

const en: typeof es = {
  title: 'Saved cards',
  label: 'Offer saved cards to logged-in customers (Conekta and Ecart Pay)',
  hint: 'Cards are typed and kept on the provider’s page only; this app keeps their brand, last 4 digits and expiry.',
  usage: 'Payments with a saved card: {payments} ({paid} paid).',
  marker: 'saved card',
};

export type SavedCardsSettingsText = typeof es;

export function savedCardsSettingsText(lang: Lang): SavedCardsSettingsText {
  return lang === 'en' ? en : es;
}
