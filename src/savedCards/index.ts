export type { Notice, CardView, FormOutcome, SavedCardsStep } from './service';
export {
  brandName,
  cardViews,
  payWithSavedCard,
  recordSavedCardAfterPayment,
  rememberCardSaving,
  removeSavedCard,
  savedCardInFlight,
  savedCardsEnabled,
  savedCardsStep,
} from './service';
export type { SavedCard } from './repository';
export { savedCardUsage } from './repository';
