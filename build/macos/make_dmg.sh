#!/usr/bin/env bash
# Sign, notarise and package the macOS agent app into a DMG (D2). WRITTEN, NOT RUN here (no
# Mac); docs/builds.md, "Windows and macOS", says what is untested.
#
#   SIGN_ID="Developer ID Application: Example Corp (TEAMID1234)" \
#   NOTARY_PROFILE=remotesales-notary \
#   build/macos/make_dmg.sh
#
# NOTARY_PROFILE is a keychain profile made once with
#   xcrun notarytool store-credentials remotesales-notary --apple-id ID --team-id TEAMID1234
# Input: "dist/RemoteSales Agent.app" from build/macos/remotesales-agent-macos.spec.
# Output: dist/RemoteSales-Agent-<version>.dmg, signed, notarised and stapled.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
: "${SIGN_ID:?set SIGN_ID to the Developer ID Application identity}"
: "${NOTARY_PROFILE:?set NOTARY_PROFILE to a notarytool keychain profile}"
APP="dist/RemoteSales Agent.app"
VERSION="$(/usr/libexec/PlistBuddy -c 'Print CFBundleShortVersionString' "$APP/Contents/Info.plist")"
DMG="dist/RemoteSales-Agent-$VERSION.dmg"

# 1. Sign every Mach-O inside first, then the bundle (codesign --deep is not enough for
#    notarisation of nested frameworks), with the hardened runtime and a secure timestamp.
find "$APP/Contents" -type f \( -name '*.so' -o -name '*.dylib' -o -perm -u+x \) -print0 |
    while IFS= read -r -d '' file; do
        if file -b "$file" | grep -q 'Mach-O'; then
            codesign --force --timestamp --options runtime \
                --entitlements build/macos/entitlements.plist --sign "$SIGN_ID" "$file"
        fi
    done
codesign --force --timestamp --options runtime --entitlements build/macos/entitlements.plist \
    --sign "$SIGN_ID" "$APP"
codesign --verify --deep --strict --verbose=2 "$APP"

# 2. The DMG: the app and a link to /Applications, to drag it into.
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
rm -f "$DMG"
hdiutil create -volname "RemoteSales Agent" -srcfolder "$STAGE" -fs HFS+ -format UDZO -ov "$DMG"
codesign --force --timestamp --sign "$SIGN_ID" "$DMG"

# 3. Notarise (waits for Apple's answer), staple the ticket, and check as Gatekeeper would.
xcrun notarytool submit "$DMG" --keychain-profile "$NOTARY_PROFILE" --wait
xcrun stapler staple "$DMG"
spctl --assess --type open --context context:primary-signature --verbose=2 "$DMG"
echo "make_dmg: $DMG"
