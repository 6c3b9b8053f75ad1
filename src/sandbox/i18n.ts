/** The simulators' pages speak Spanish, their providers' language, unless English is asked for. */
export type SimLang = 'es' | 'en';

export function simLang(value: unknown): SimLang {
  return typeof value === 'string' && value.toLowerCase().startsWith('en') ? 'en' : 'es';
}

/** An amount with two decimals for people (`$1,234.50`), as Mexican providers show it. */
export function formatTwoDecimals(amount: number, currency: string, lang: SimLang): string {
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
