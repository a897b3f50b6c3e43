#!/usr/bin/env bash
# Installs Azurite (the Azure Storage emulator) for the azure_blob tests.
# usage: testdata/azurite/install.sh [DIR]
# DIR defaults to $LITHOPS_AZURITE_DIR, else ~/.cache/lithops/azurite.
# Needs node and npm; takes about a minute.
set -euo pipefail
dir=${1:-${LITHOPS_AZURITE_DIR:-$HOME/.cache/lithops/azurite}}
version=3.37.0
bin=$dir/node_modules/.bin/azurite-blob
if [[ -x $bin ]] && grep -q "\"version\": \"$version\"" "$dir/node_modules/azurite/package.json" 2>/dev/null; then
	echo "azurite $version already in $dir"
	exit 0
fi
mkdir -p "$dir"
npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "azurite@$version"
echo "azurite $version installed in $dir"
