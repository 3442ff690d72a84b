#!/usr/bin/env bash
# Prints the GitHub Actions matrix for every stack file in stacks/:
# {"include":[{"stack":"<name>","region":"<velero-irsa:region>"}, ...]}
set -euo pipefail
for f in stacks/Pulumi.*.yaml; do
  stack=${f#stacks/Pulumi.}
  stack=${stack%.yaml}
  region=$(sed -n 's/^[[:space:]]*velero-irsa:region:[[:space:]]*//p' "$f" | tr -d "\"'" | head -n 1)
  jq -nc --arg stack "$stack" --arg region "$region" '{stack: $stack, region: $region}'
done | jq -sc '{include: .}'
