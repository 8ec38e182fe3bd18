#!/usr/bin/env bash
# Install the Debian packages submission-kit needs, only those missing.
#   runtime: Pango/HarfBuzz for WeasyPrint (PDF), Liberation fonts (Times New Roman metrics),
#            DejaVu (Greek, Cyrillic, symbols) and Noto CJK (Chinese, Japanese, Korean) as the
#            PDF's fallback fonts; fontconfig's fc-match tells the PDF writer what they cover
#   test:    + LibreOffice (tests open the DOCX files) and poppler-utils (pdftoppm, pdffonts)
set -euo pipefail
want=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-liberation2 fonts-dejavu-core
      fonts-noto-cjk fontconfig)
if [ "${1:-runtime}" = "test" ]; then
  want+=(libreoffice-writer-nogui poppler-utils)
fi
missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "Please install these packages with your system's package manager: ${missing[*]}" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "Installing Debian packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
