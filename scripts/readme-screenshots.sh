#!/usr/bin/env bash
# Regenerates the README's screenshots from the browser journeys (never hand-made):
# runs the e2e suite, then copies the pages the README shows into docs/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run test:e2e
for name in chooser-loading-es chooser-es etpay-funnel conekta-card-paid conekta-oxxo-voucher ecartpay-approved-en etpay-rejected settings-in-admin; do
  cp "test-artifacts/screenshots/${name}.png" "docs/screenshots/${name}.png"
done
echo "docs/screenshots/ updated"
