import {
  buildPaymentRequest,
  encryptPaymentRequest,
  type EcwidPaymentRequestJson,
  type PaymentRequestInput,
} from '../../src/sandbox/ecwid/payload';

export type EncryptedRequestOverrides = PaymentRequestInput & {
  /** Last-minute edits of the JSON (e.g. to break it); what it returns is what gets encrypted. */
  transform?: (json: EcwidPaymentRequestJson) => unknown;
};

/**
 * An Ecwid payment request as the app receives it: the JSON and both encrypted form fields.
 * `json` is the object before `transform` (what a simulator would register); `sent` is what was
 * encrypted (the same object when there is no transform).
 */
export function makeEncryptedRequest(
  clientSecret: string,
  overrides: EncryptedRequestOverrides = {},
): { json: EcwidPaymentRequestJson; sent: unknown; enc_data: string; data: string } {
  const { transform, ...input } = overrides;
  const json = buildPaymentRequest(input);
  const payload = transform ? transform(structuredClone(json)) : json;
  return { json, sent: payload, ...encryptPaymentRequest(payload, clientSecret) };
}
