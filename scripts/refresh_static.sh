#!/usr/bin/env bash
# Refresh the vendored front-end files from the npm registry.
# Versions are pinned here; the result is committed under linli/static/vendor/
# with VERSIONS.txt and each package's licence. Nothing is fetched at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=linli/static/vendor
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
PKGS=("htmx.org@2.0.11" "bootstrap@5.3.9" "leaflet@1.9.4" "echarts@5.6.0")
(cd "$tmp" && for p in "${PKGS[@]}"; do npm pack --silent "$p" >/dev/null; done)
rm -rf "$dest" && mkdir -p "$dest"/{htmx,bootstrap,leaflet/images,echarts}
x() { tar -xzf "$tmp/$1" -C "$tmp/$2" ; }
for t in "$tmp"/*.tgz; do n=$(basename "$t" .tgz); mkdir -p "$tmp/$n"; tar -xzf "$t" -C "$tmp/$n"; done
cp "$tmp"/htmx.org-*/package/dist/htmx.min.js "$tmp"/htmx.org-*/package/LICENSE "$dest/htmx/"
cp "$tmp"/bootstrap-*/package/dist/css/bootstrap.min.css "$tmp"/bootstrap-*/package/dist/js/bootstrap.bundle.min.js "$tmp"/bootstrap-*/package/LICENSE "$dest/bootstrap/"
cp "$tmp"/leaflet-*/package/dist/leaflet.js "$tmp"/leaflet-*/package/dist/leaflet.css "$tmp"/leaflet-*/package/LICENSE "$dest/leaflet/"
cp "$tmp"/leaflet-*/package/dist/images/* "$dest/leaflet/images/"
cp "$tmp"/echarts-*/package/dist/echarts.min.js "$tmp"/echarts-*/package/LICENSE "$tmp"/echarts-*/package/NOTICE "$dest/echarts/"
# the source maps are not vendored: drop the references, or collectstatic's manifest fails
find "$dest" \( -name '*.js' -o -name '*.css' \) -exec sed -i '/sourceMappingURL=/d' {} +
printf '%s\n' "# Vendored front-end packages (from the npm registry by scripts/refresh_static.sh)" "${PKGS[@]}" > "$dest/VERSIONS.txt"
echo "vendored into $dest:"; cat "$dest/VERSIONS.txt"
