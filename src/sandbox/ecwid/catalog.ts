import type { CartItemInput } from './payload';

/** The demo store's ready-made carts (prices in major units, VAT included). */
export interface DemoCart {
  id: string;
  currency: 'CLP' | 'MXN';
  title: { es: string; en: string };
  items: CartItemInput[];
}

const cafeElqui: Omit<CartItemInput, 'quantity'> = {
  name: 'Café de grano Valle del Elqui 500 g',
  nameTranslated: { es: 'Café de grano Valle del Elqui 500 g', en: 'Elqui Valley coffee beans 500 g' },
  sku: 'CAF-ELQ-500',
  productId: 512000101,
  price: 8990,
  weight: 0.5,
};
const tazaPomaire: Omit<CartItemInput, 'quantity'> = {
  name: 'Taza de greda de Pomaire',
  nameTranslated: { es: 'Taza de greda de Pomaire', en: 'Pomaire clay mug' },
  sku: 'TAZ-POM-01',
  productId: 512000102,
  price: 6500,
  weight: 0.35,
};
const mantaAlpaca: Omit<CartItemInput, 'quantity'> = {
  name: 'Manta de alpaca tejida a mano',
  nameTranslated: { es: 'Manta de alpaca tejida a mano', en: 'Hand-woven alpaca blanket' },
  sku: 'MAN-ALP-XL',
  productId: 512000103,
  price: 45990,
  weight: 1.2,
};
const cafeChiapas: Omit<CartItemInput, 'quantity'> = {
  name: 'Café de Chiapas tostado medio 1 kg',
  nameTranslated: { es: 'Café de Chiapas tostado medio 1 kg', en: 'Chiapas medium roast coffee 1 kg' },
  sku: 'CAF-CHI-1K',
  productId: 512000201,
  price: 389.9,
  weight: 1,
};
const molinillo: Omit<CartItemInput, 'quantity'> = {
  name: 'Molinillo manual de cerámica',
  nameTranslated: { es: 'Molinillo manual de cerámica', en: 'Ceramic hand grinder' },
  sku: 'MOL-CER-02',
  productId: 512000202,
  price: 749,
  weight: 0.8,
};
const jarraOaxaca: Omit<CartItemInput, 'quantity'> = {
  name: 'Jarra de barro negro de Oaxaca',
  nameTranslated: { es: 'Jarra de barro negro de Oaxaca', en: 'Oaxaca black clay jug' },
  sku: 'JAR-OAX-BN',
  productId: 512000203,
  price: 371.17,
  weight: 1.1,
};

export const DEMO_CARTS: readonly DemoCart[] = [
  {
    id: 'mxn-cafe',
    currency: 'MXN',
    title: { es: 'Kit cafetero de Oaxaca y Chiapas', en: 'Oaxaca & Chiapas coffee kit' },
    items: [
      { ...cafeChiapas, quantity: 2 },
      { ...molinillo, quantity: 1 },
      { ...jarraOaxaca, quantity: 1 },
    ],
  },
  {
    id: 'mxn-taza',
    currency: 'MXN',
    title: { es: 'Una bolsa de café', en: 'One bag of coffee' },
    items: [{ ...cafeChiapas, quantity: 1 }],
  },
  {
    id: 'clp-regalo',
    currency: 'CLP',
    title: { es: 'Regalo chileno: café, taza y manta', en: 'Chilean gift: coffee, mug and blanket' },
    items: [
      { ...cafeElqui, quantity: 2 },
      { ...tazaPomaire, quantity: 1 },
      { ...mantaAlpaca, quantity: 1 },
    ],
  },
  {
    id: 'clp-cafe',
    currency: 'CLP',
    title: { es: 'Café del Elqui', en: 'Elqui coffee' },
    items: [{ ...cafeElqui, quantity: 1 }],
  },
];

export function findCart(id: string): DemoCart | undefined {
  return DEMO_CARTS.find((c) => c.id === id);
}
