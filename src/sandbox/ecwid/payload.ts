import { randomBytes, randomInt } from 'node:crypto';
import { encryptEcwidPayload } from '../../ecwid/crypto';
import { currencyExponent } from '../../money';
import { findCart } from './catalog';

/**
 * The decrypted payment request exactly in Ecwid's shape (camelCase, amounts as JSON floats in
 * major units, `merchantAppSettings` values as strings), as the storefront simulator sends it and as
 * tests build it. Field names follow Ecwid's REST order (`FetchedOrder` in Ecwid's Kotlin client).
 */

export interface EcwidPersonJson {
  name?: string;
  firstName?: string;
  lastName?: string;
  companyName?: string;
  street?: string;
  city?: string;
  countryCode?: string;
  countryName?: string;
  postalCode?: string;
  stateOrProvinceCode?: string;
  stateOrProvinceName?: string;
  phone?: string;
}

export interface EcwidOrderItemJson {
  id: number;
  productId: number;
  categoryId: number;
  name: string;
  sku: string;
  price: number;
  quantity: number;
  [field: string]: unknown;
}

export interface EcwidOrderJson {
  referenceTransactionId: string;
  id: string;
  orderNumber: number;
  vendorOrderNumber: string;
  total: number;
  subtotal: number;
  tax: number;
  couponDiscount: number;
  discount: number;
  email: string;
  paymentStatus: string;
  ipAddress: string;
  customerId?: number;
  createTimestamp: number;
  billingPerson?: EcwidPersonJson;
  shippingPerson?: EcwidPersonJson;
  shippingOption: { shippingRate: number; [field: string]: unknown };
  handlingFee: { value: number; [field: string]: unknown };
  items: EcwidOrderItemJson[];
  [field: string]: unknown;
}

export interface EcwidPaymentRequestJson {
  storeId: number;
  returnUrl: string;
  token: string;
  lang: string;
  merchantAppSettings: Record<string, string>;
  cart: { currency: string; order: EcwidOrderJson };
}

/** A cart line as a caller describes it; the builder fills in Ecwid's other item fields. */
export interface CartItemInput {
  name: string;
  /** Unit price in major units (a JSON float, as Ecwid sends it). */
  price: number;
  quantity: number;
  sku?: string;
  productId?: number;
  weight?: number;
  shortDescription?: string;
  /** Item name per language, e.g. `{ en: 'Coffee' }`. */
  nameTranslated?: Record<string, string>;
}

export interface PaymentRequestInput {
  /** Where the simulator is reachable (no trailing slash); the returnUrl points at its storefront. */
  simulatorBaseUrl?: string;
  /** The app's client_id, carried in the returnUrl. */
  clientId?: string;
  storeId?: number;
  currency?: string;
  /**
   * Forces `cart.order.total` (major units, sent as is, even when invalid). Without it the total is
   * computed from the items, shipping and handling fee.
   */
  total?: number;
  lang?: string;
  items?: CartItemInput[];
  email?: string;
  /** Registered customer id; `null` for a guest checkout (the field is then absent). */
  customerId?: number | null;
  /** The store access token (`secret_…`). */
  token?: string;
  referenceTransactionId?: string;
  /** The order id shown to people (e.g. `XJ12H`). */
  orderId?: string;
  orderNumber?: number;
  ipAddress?: string;
  /** `null` leaves the person out (Ecwid may omit both). */
  billingPerson?: EcwidPersonJson | null;
  shippingPerson?: EcwidPersonJson | null;
  /** Overrides/extends the app-storage keys; values must be strings, as Ecwid sends them. */
  merchantAppSettings?: Record<string, string>;
  /** The `key` query parameter of the returnUrl (random by default). */
  returnKey?: string;
  /** Defaults to now. */
  now?: Date;
}

export const DEFAULT_SIMULATOR_BASE_URL = 'https://ecwid-simulator.invalid';
export const DEFAULT_CLIENT_ID = 'latam-payments-demo';
export const DEFAULT_STORE_ID = 1003;

interface CurrencyDefaults {
  shipping: number;
  handling: number;
  /** VAT rate included in prices. */
  vat: number;
  taxName: string;
  countryCode: string;
  countryName: string;
  city: string;
  street: string;
  postalCode: string;
  stateOrProvinceCode: string;
  stateOrProvinceName: string;
  phone: string;
}

const CHILE: CurrencyDefaults = {
  shipping: 3990,
  handling: 500,
  vat: 0.19,
  taxName: 'IVA',
  countryCode: 'CL',
  countryName: 'Chile',
  city: 'Santiago',
  street: 'Av. Providencia 1234, depto 56',
  postalCode: '7500000',
  stateOrProvinceCode: 'RM',
  stateOrProvinceName: 'Región Metropolitana',
  phone: '+56 9 8765 4321',
};

const MEXICO: CurrencyDefaults = {
  shipping: 99,
  handling: 16,
  vat: 0.16,
  taxName: 'IVA',
  countryCode: 'MX',
  countryName: 'Mexico',
  city: 'Ciudad de México',
  street: 'Av. Álvaro Obregón 123, Roma Norte',
  postalCode: '06700',
  stateOrProvinceCode: 'CMX',
  stateOrProvinceName: 'Ciudad de México',
  phone: '+52 55 1234 5678',
};

function defaultsFor(currency: string): CurrencyDefaults {
  return currency === 'CLP' ? CHILE : MEXICO;
}

/** The three-line demo cart of the currency's country (Chile for CLP, Mexico otherwise). */
function itemsFor(currency: string): CartItemInput[] {
  return findCart(currency === 'CLP' ? 'clp-regalo' : 'mxn-cafe')?.items ?? [];
}

/** Minor/major conversion for the breakdown (the simulator trusts its own numbers). */
function scale(currency: string): number {
  return 10 ** (currencyExponent(currency) ?? 2);
}

function randomId(length: number): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  let out = '';
  for (let i = 0; i < length; i += 1) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** A new reference transaction id, in Ecwid's `transaction_<digits>` form. */
export function newReferenceTransactionId(): string {
  return `transaction_${randomInt(10_000_000, 99_999_999)}`;
}

/** A new store access token, in Ecwid's `secret_…` form. */
export function newStoreToken(): string {
  return `secret_${randomBytes(24).toString('base64url')}`;
}

/** A new returnUrl `key` (Ecwid signs its return links; the simulator only checks it issued them). */
export function newReturnKey(): string {
  return randomBytes(16).toString('hex');
}

export function buildReturnUrl(
  simulatorBaseUrl: string,
  storeId: number,
  referenceTransactionId: string,
  clientId: string,
  key: string,
  timestamp: number,
): string {
  const base = simulatorBaseUrl.replace(/\/+$/, '');
  const url = new URL(`${base}/store/return/${storeId}/${encodeURIComponent(referenceTransactionId)}`);
  url.searchParams.set('clientId', clientId);
  url.searchParams.set('timestamp', String(timestamp));
  url.searchParams.set('key', key);
  return url.toString();
}

interface Breakdown {
  items: CartItemInput[];
  subtotal: number;
  shipping: number;
  handling: number;
  discount: number;
  total: number;
}

/** Works in minor units so the JSON floats add up the way Ecwid's do. */
function breakdown(
  currency: string,
  items: CartItemInput[] | undefined,
  forcedTotal: number | undefined,
): Breakdown {
  const k = scale(currency);
  const d = defaultsFor(currency);
  const toMinor = (major: number) => Math.round(major * k);
  const toMajor = (minor: number) => minor / k;
  let shipping = toMinor(d.shipping);
  let handling = toMinor(d.handling);

  if (forcedTotal === undefined) {
    const lines = items ?? itemsFor(currency);
    const subtotal = lines.reduce((sum, i) => sum + toMinor(i.price) * i.quantity, 0);
    return {
      items: lines,
      subtotal: toMajor(subtotal),
      shipping: toMajor(shipping),
      handling: toMajor(handling),
      discount: 0,
      total: toMajor(subtotal + shipping + handling),
    };
  }

  const total = Number.isFinite(forcedTotal) ? Math.max(0, toMinor(forcedTotal)) : 0;
  if (items) {
    // The caller's lines and total: reconcile with a shipping charge or a discount.
    const subtotal = items.reduce((sum, i) => sum + toMinor(i.price) * i.quantity, 0);
    return {
      items,
      subtotal: toMajor(subtotal),
      shipping: toMajor(Math.max(0, total - subtotal)),
      handling: 0,
      discount: toMajor(Math.max(0, subtotal - total)),
      total: forcedTotal,
    };
  }

  // Default lines whose prices add up to the forced total.
  if (total < (shipping + handling) * 4) {
    shipping = 0;
    handling = 0;
  }
  const goods = total - shipping - handling;
  const template = itemsFor(currency);
  const [first, second, third] = template;
  let lines: CartItemInput[];
  if (!first || !second || !third || goods < 10) {
    lines = [{ ...(first ?? { name: 'Producto', sku: 'SKU-1' }), price: toMajor(goods), quantity: 1 }];
  } else {
    const p1 = Math.floor(goods * 0.5);
    const p2 = Math.floor((goods * 0.2) / 2);
    const p3 = goods - p1 - 2 * p2;
    lines = [
      { ...first, price: toMajor(p1), quantity: 1 },
      { ...second, price: toMajor(p2), quantity: 2 },
      { ...third, price: toMajor(p3), quantity: 1 },
    ];
  }
  return {
    items: lines,
    subtotal: toMajor(goods),
    shipping: toMajor(shipping),
    handling: toMajor(handling),
    discount: 0,
    total: forcedTotal,
  };
}

function person(currency: string, firstName: string, lastName: string): EcwidPersonJson {
  const d = defaultsFor(currency);
  return {
    name: `${firstName} ${lastName}`,
    firstName,
    lastName,
    companyName: '',
    street: d.street,
    city: d.city,
    countryCode: d.countryCode,
    countryName: d.countryName,
    postalCode: d.postalCode,
    stateOrProvinceCode: d.stateOrProvinceCode,
    stateOrProvinceName: d.stateOrProvinceName,
    phone: d.phone,
  };
}

function isoDate(date: Date): string {
  // Ecwid's format: "2025-05-14 18:22:31 +0000".
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} +0000`;
}

/** Builds the decrypted payment request JSON, several KB like Ecwid's. */
export function buildPaymentRequest(input: PaymentRequestInput = {}): EcwidPaymentRequestJson {
  const now = input.now ?? new Date();
  const currency = input.currency ?? 'MXN';
  const lang = input.lang ?? 'es';
  const storeId = input.storeId ?? DEFAULT_STORE_ID;
  const referenceTransactionId = input.referenceTransactionId ?? newReferenceTransactionId();
  const orderId = input.orderId ?? randomId(5);
  const orderNumber = input.orderNumber ?? randomInt(1000, 999_999);
  const clientId = input.clientId ?? DEFAULT_CLIENT_ID;
  const token = input.token ?? newStoreToken();
  const d = defaultsFor(currency);
  const k = scale(currency);
  const round = (major: number) => Math.round(major * k) / k;

  const b = breakdown(currency, input.items, input.total);
  // Prices include VAT, as Latin American stores show them: `tax` is the VAT inside the subtotal.
  const tax = round((b.subtotal * d.vat) / (1 + d.vat));
  const customer = input.customerId === undefined ? randomInt(10_000_000, 99_999_999) : input.customerId;
  const billing =
    input.billingPerson === null
      ? undefined
      : (input.billingPerson ?? person(currency, 'María José', 'González'));
  const shipping = input.shippingPerson === null ? undefined : (input.shippingPerson ?? billing);
  const createTimestamp = Math.floor(now.getTime() / 1000);
  const email = input.email ?? 'maria.gonzalez@example.com';
  const returnUrl = buildReturnUrl(
    input.simulatorBaseUrl ?? DEFAULT_SIMULATOR_BASE_URL,
    storeId,
    referenceTransactionId,
    clientId,
    input.returnKey ?? newReturnKey(),
    now.getTime(),
  );

  const items: EcwidOrderItemJson[] = b.items.map((item, index) => {
    const productId = item.productId ?? 500_000_000 + index * 7919 + 101;
    const price = item.price;
    const itemTax = round((price * item.quantity * d.vat) / (1 + d.vat));
    const slug = item.name
      .normalize('NFD')
      .replace(/[^A-Za-z0-9]+/g, '-')
      .toLowerCase();
    return {
      id: 1_800_000_000 + index,
      productId,
      categoryId: 150_000_000 + index,
      price,
      productPrice: price,
      priceWithoutTax: round(price / (1 + d.vat)),
      isCustomerSetPrice: false,
      selectedPrice: { value: price },
      shipping: 0,
      tax: itemTax,
      fixedShippingRate: 0,
      couponAmount: 0,
      sku: item.sku ?? `SKU-${productId}`,
      name: item.name,
      nameTranslated: item.nameTranslated ?? { [lang]: item.name },
      shortDescription: item.shortDescription ?? `${item.name}. Producto de origen, envío a todo el país.`,
      shortDescriptionTranslated: {
        es: `${item.name}. Producto de origen.`,
        en: `${item.name}. Sourced locally.`,
      },
      quantity: item.quantity,
      quantityInStock: 42,
      weight: item.weight ?? 0.5,
      imageUrl: `https://d2j6dbq0eux0bg.cloudfront.net/images/${storeId}/${productId}.jpg`,
      smallThumbnailUrl: `https://d2j6dbq0eux0bg.cloudfront.net/images/${storeId}/${productId}-80.jpg`,
      hdThumbnailUrl: `https://d2j6dbq0eux0bg.cloudfront.net/images/${storeId}/${productId}-800.jpg`,
      url: `https://tienda.example.com/${slug}-p${productId}`,
      isShippingRequired: true,
      trackQuantity: true,
      fixedShippingRateOnly: false,
      digital: false,
      productAvailable: true,
      couponApplied: false,
      isGiftCard: false,
      taxable: true,
      taxes: [
        {
          name: d.taxName,
          value: d.vat * 100,
          total: itemTax,
          taxOnDiscountedSubtotal: itemTax,
          taxOnShipping: 0,
          includeInPrice: true,
          sourceTaxRateId: 0,
          sourceTaxRateType: 'AUTO',
        },
      ],
      dimensions: { length: 20, width: 15, height: 10 },
      discountsAllowed: true,
      discounts: [],
      selectedOptions:
        index === 0
          ? [
              {
                name: 'Molienda',
                nameTranslated: { es: 'Molienda', en: 'Grind' },
                type: 'CHOICE',
                value: 'Grano entero',
                valueTranslated: { es: 'Grano entero', en: 'Whole bean' },
                valuesArray: ['Grano entero'],
                selections: [
                  { selectionTitle: 'Grano entero', selectionModifier: 0, selectionModifierType: 'ABSOLUTE' },
                ],
              },
            ]
          : [],
      attributes: [{ name: 'Marca', value: 'Tienda Demo' }],
    };
  });

  const settingsPublic = {
    providers: ['etpay', 'conekta', 'ecartpay'],
    showLogos: true,
    checkoutDescription: 'Paga con transferencia, tarjeta, OXXO o SPEI',
  };

  return {
    storeId,
    returnUrl,
    token,
    lang,
    merchantAppSettings: {
      public: JSON.stringify(settingsPublic),
      installed: 'true',
      environment: 'sandbox',
      defaultProvider: 'etpay',
      ...input.merchantAppSettings,
    },
    cart: {
      currency,
      order: {
        id: orderId,
        internalId: orderNumber + 500_000_000,
        orderNumber,
        vendorOrderNumber: orderId,
        referenceTransactionId,
        refererUrl: 'https://tienda.example.com/',
        globalReferer: 'https://www.google.com/',
        email,
        paymentMethod: 'Pago en línea (ETpay, Conekta, Ecart Pay)',
        paymentModule: 'CUSTOM_PAYMENT_APP-' + clientId,
        paymentStatus: 'INCOMPLETE',
        paymentParams: {},
        fulfillmentStatus: 'AWAITING_PROCESSING',
        ipAddress: input.ipAddress ?? '190.161.42.17',
        hidden: true,
        createDate: isoDate(now),
        updateDate: isoDate(now),
        createTimestamp,
        updateTimestamp: createTimestamp,
        ...(customer === null ? {} : { customerId: customer }),
        customerGroup: customer === null ? 'Not logged in' : 'General',
        customerGroupId: 0,
        acceptMarketing: false,
        customerTaxExempt: false,
        customerTaxId: '',
        customerTaxIdValid: false,
        reversedTaxApplied: false,
        pricesIncludeTax: true,
        total: b.total,
        totalWithoutTax: round(b.total - tax),
        subtotal: b.subtotal,
        subtotalWithoutTax: round(b.subtotal - tax),
        usdTotal: round(b.total / (currency === 'CLP' ? 950 : 17.5)),
        giftCardRedemption: 0,
        totalBeforeGiftCardRedemption: b.total,
        tax,
        couponDiscount: 0,
        volumeDiscount: 0,
        membershipBasedDiscount: 0,
        totalAndMembershipBasedDiscount: 0,
        discount: b.discount,
        discountInfo: [],
        customDiscount: [],
        customSurcharges: [],
        items,
        ...(billing ? { billingPerson: billing } : {}),
        ...(shipping ? { shippingPerson: shipping } : {}),
        shippingOption: {
          shippingCarrierName: currency === 'CLP' ? 'Chilexpress' : 'Estafeta',
          shippingMethodName:
            currency === 'CLP' ? 'Chilexpress Día Hábil Siguiente' : 'Estafeta Día Siguiente',
          shippingRate: b.shipping,
          shippingRateWithoutTax: round(b.shipping / (1 + d.vat)),
          estimatedTransitTime: '1-3',
          isPickup: false,
          pickupInstruction: '',
          fulfillmentType: 'SHIPPING',
          isShippingLimit: false,
        },
        availableShippingOptions: [],
        taxesOnShipping: [
          { name: d.taxName, value: d.vat * 100, total: round((b.shipping * d.vat) / (1 + d.vat)) },
        ],
        handlingFee: {
          name: 'Cargo por manejo',
          value: b.handling,
          valueWithoutTax: round(b.handling / (1 + d.vat)),
          description: 'Embalaje seguro',
          taxes: [],
        },
        additionalInfo: { google_customer_id: '1234567890.1700000000' },
        orderExtraFields: [
          {
            id: 'delivery_notes',
            title: 'Notas de entrega',
            value: 'Dejar en conserjería',
            customerInputType: 'TEXT',
            orderDetailsDisplaySection: 'shipping_info',
            orderBy: '1',
          },
        ],
        orderComments: '',
        disableAllCustomerNotifications: false,
        refundedAmount: 0,
        refunds: [],
        shipments: [],
        utmData: { source: 'instagram', campaign: 'temporada', medium: 'social' },
        externalOrderData: { externalFulfillment: false, refererChannel: 'ecwid' },
      },
    },
  };
}

/** Encrypts the JSON as Ecwid sends it: `enc_data` (GCM) and `data` (CBC), unpadded URL-safe base64. */
export function encryptPaymentRequest(
  json: unknown,
  clientSecret: string,
): { enc_data: string; data: string } {
  const plaintext = JSON.stringify(json);
  return {
    enc_data: encryptEcwidPayload(plaintext, clientSecret, 'gcm'),
    data: encryptEcwidPayload(plaintext, clientSecret, 'cbc'),
  };
}
