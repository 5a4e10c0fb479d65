#!/usr/bin/env bash
# npm run demo: fresh clone -> toolchain (the Pulumi engine from the carried-in dist) -> lab up ->
# pulumi up on the dev stack -> push from client-a, pull on client-b, digests compared.
# Leaves the lab and the dev stack running; a second run is a no-op up and the same check.
# Tear down: pulumi destroy --stack dev (with scripts/pulumi-env.sh), then npm run lab:down.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$SECONDS
phases=()
phase() { phases+=("$(printf '%-10s %4ss' "$1" "$((SECONDS - $2))")"); echo "demo: $1 took $((SECONDS - $2))s" >&2; }
fail() { echo "demo: ERROR: $*" >&2; exit 1; }

s=$SECONDS
bash scripts/ensure-deps.sh
bin=$(bash scripts/toolchain.sh | tail -1)
phase toolchain "$s"
export PATH="$bin:$PATH"
source scripts/pulumi-env.sh
s=$SECONDS; cfg=$(bash lab/up.sh | tail -1); phase "lab up" "$s"

pulumi stack select dev --non-interactive 2>/dev/null || pulumi stack init dev --non-interactive
s=$SECONDS
pulumi up --yes --skip-preview --stack dev --non-interactive --suppress-outputs | tee .lab/demo-up.log
phase "pulumi up" "$s"
summary=$(sed -n '/^Resources:/,/^Duration/p' .lab/demo-up.log | grep -E 'created|updated|deleted|replaced|unchanged' | sed 's/^ *//' | paste -sd, - | sed 's/,/, /g')

endpoint=$(pulumi stack output endpoint --stack dev)
fingerprint=$(pulumi stack output caFingerprintSha256 --stack dev)
pulumi stack output caCertificate --stack dev > .lab/ca.crt
creds=$(pulumi stack output credentials --stack dev --show-secrets --json)
user=$(node -e 'console.log(JSON.parse(process.argv[1])[0].username)' "$creds")
password() { node -e 'process.stdout.write(JSON.parse(process.argv[1])[0].password)' "$creds"; }

s=$SECONDS
ssh -F "$cfg" client-a.lab "docker load >/dev/null" < .lab/images/sample-image.tar
ssh -F "$cfg" client-a.lab "docker tag airgap-lab/hello:1 $endpoint/hello:1"
password | ssh -F "$cfg" client-a.lab "docker login $endpoint --username $user --password-stdin" >/dev/null
pushed=$(ssh -F "$cfg" client-a.lab "docker push $endpoint/hello:1" | grep -o 'sha256:[0-9a-f]\{64\}' | tail -1)
[ -n "$pushed" ] || fail "client-a's push reported no digest"
password | ssh -F "$cfg" client-b.lab "docker login $endpoint --username $user --password-stdin" >/dev/null
ssh -F "$cfg" client-b.lab "docker rmi $endpoint/hello:1 >/dev/null 2>&1 || true; docker pull $endpoint/hello:1" >/dev/null
pulled=$(ssh -F "$cfg" client-b.lab "docker image inspect --format '{{index .RepoDigests 0}}' $endpoint/hello:1")
phase "push/pull" "$s"
[ "$pulled" = "$endpoint/hello@$pushed" ] || fail "digest mismatch: client-a pushed $pushed, client-b pulled $pulled"

cat <<MSG

  registry        https://$endpoint  (TLS verified by the stack's CA, htpasswd auth)
  CA fingerprint  $fingerprint  (SHA-256)
  CA certificate  $(pwd)/.lab/ca.crt
  pushed/pulled   $endpoint/hello:1@$pushed  (client-a -> client-b, digests equal)
  pulumi up       $summary  (log: .lab/demo-up.log)
  phases          ${phases[0]}
$(printf '                  %s\n' "${phases[@]:1}")
  total           $((SECONDS - t0))s

  The lab stays up:  ssh -F $cfg client-a.lab
  Tear down:         source scripts/pulumi-env.sh && PATH=$bin:\$PATH pulumi destroy --yes --stack dev && npm run lab:down
MSG
