#!/usr/bin/env bash
# Run a command with the local stack: start it only if its services do not already answer,
# and stop afterwards only what this run started.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
started=0
if ! bash "$here/stack.sh" status >/dev/null 2>&1; then
  bash "$here/stack.sh" up || exit 1
  started=1
fi
stop() { if [ "$started" = 1 ]; then bash "$here/stack.sh" down; fi; }
trap stop EXIT
"$@"
