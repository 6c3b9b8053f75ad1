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
  settleSavedCardObservation,
} from './service';
export type { SavedCard } from './repository';
export { savedCardUsage } from './repository';
