#!/usr/bin/env bash
# Scores the auto-coders against the reference coding of the example study:
# calibrate and train on P01-P06, score on P07-P12, at segment and turn level.
# Usage: scripts/evaluate-auto-coders.sh [OUT.md]   (run from the repository's top level)
# The transcripts are illustrative: these are results on illustrative data.
set -euo pipefail
out=$(realpath -m "${1:-evaluation.md}")
q=${QUALMINE:-qualmine}
work=$(mktemp -d)
cp -r transcripts codebooks codings findings qualmine.toml "$work/"
cd "$work"
$q run --no-topics --no-auto-code >/dev/null
: > "$out"
for unit in segment turn; do
  $q code --unit "$unit" --method rules --docs P07..P12 >/dev/null
  $q code --unit "$unit" --method semantic --docs P07..P12 >/dev/null
  $q code --unit "$unit" --method semantic --calibrate-from reference \
     --calibration-docs P01..P06 --docs P07..P12 >/dev/null
  $q code --unit "$unit" --method learned --from reference --train-docs P01..P06 \
     --docs P07..P12 >/dev/null
  for coder in auto:rules auto:semantic auto:semantic-calibrated auto:learned; do
    echo "### $coder, unit $unit (scored on P07-P12)" >> "$out"
    $q evaluate --gold reference --pred "$coder" --unit "$unit" --docs P07..P12 -f md \
      | sed -n '/^## Evaluation summary/,$p' | tail -n +2 >> "$out"
    echo >> "$out"
  done
done
rm -rf "$work"
echo "wrote $out"
