import { merchantOrderIdFor } from '../../../src/providers/etpay/orderId';
import { MERCHANT_ORDER_ID_PATTERN } from '../../../src/providers/etpay/schemas';

describe('merchant_order_id', () => {
  it('is the Ecwid order id, the attempt and a suffix', () => {
    expect(merchantOrderIdFor('XJ12H', 1, 'abc12345')).toBe('XJ12H-1-abc12345');
    expect(merchantOrderIdFor('SALE-G01ZG', 3, 'zz99')).toBe('SALE-G01ZG-3-zz99');
  });

  it('keeps only letters, digits and hyphens (accents folded, runs collapsed, ends trimmed)', () => {
    expect(merchantOrderIdFor('Pedido #Ñandú_001', 2, 's1')).toBe('Pedido-Nandu-001-2-s1');
    expect(merchantOrderIdFor('--a//b--', 1, 's1')).toBe('a-b-1-s1');
    expect(merchantOrderIdFor('日本語', 1, 's1')).toBe('order-1-s1');
    expect(merchantOrderIdFor('', 1, 's1')).toBe('order-1-s1');
  });

  it('never exceeds 64 characters, keeping the attempt and suffix', () => {
    const id = merchantOrderIdFor('A'.repeat(200), 12, 'abcdefgh');
    expect(id).toHaveLength(64);
    expect(id.endsWith('-12-abcdefgh')).toBe(true);
    expect(MERCHANT_ORDER_ID_PATTERN.test(id)).toBe(true);
    // A cut that would end on a hyphen does not leave two in a row.
    expect(merchantOrderIdFor(`${'B'.repeat(52)}-CCCC`, 1, 'abcdefgh')).toBe(`${'B'.repeat(52)}-1-abcdefgh`);
  });

  it('is unique per call (a retried checkout of the same attempt gets its own id)', () => {
    const ids = new Set(Array.from({ length: 200 }, () => merchantOrderIdFor('XJ12H', 1)));
    expect(ids.size).toBe(200);
    for (const id of ids) expect(id).toMatch(/^XJ12H-1-[0-9a-z]{8}$/);
  });
});
