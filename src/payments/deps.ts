import type { Db } from '../db';
import type { Logger } from '../logger';
import type { ProviderRegistry } from '../providers/types';
import type { Secrets } from '../secrets';
import type { EcwidSync } from './ecwidSync';

/** What the payment use cases need; built once in server.ts (or a test) and passed down. */
export interface PaymentDeps {
  db: Db;
  secrets: Secrets;
  logger: Logger;
  providers: ProviderRegistry;
  /** Providers enabled for stores without their own settings (PAYMENT_PROVIDERS). */
  defaultProviders: readonly string[];
  appUrl: string;
  sync: EcwidSync;
}
