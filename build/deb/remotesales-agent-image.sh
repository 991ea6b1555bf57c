#!/bin/bash
# remotesales-agent: the launcher of the agent app when its folder ships as a compressed
# image (docs/builds.md, "The compressed image"). The package installs the PyInstaller folder
# as /opt/remotesales-agent/remotesales-agent.squashfs (zstd squashfs, ~40 % of the folder's
# bytes) beside this script. The package's mount unit (postinst) has the kernel mount it
# read-only at /opt/remotesales-agent/app: then the launcher just becomes the app from there
# (exec: the same process, arguments, signals and exit status). Where it is not mounted (no
# systemd, a container, the unit disabled) each launch says so on stderr and mounts the image
# with squashfuse_ll (FUSE, no root: what an AppImage's runtime does) in a folder of its own,
# a slower start; a small watcher detaches that mount when the app has exited, however it
# ended. 70 with a message when the image cannot be mounted.
set -u
here="$(dirname "$(readlink -f "$0")")"
image="$here/remotesales-agent.squashfs"
name="remotesales-agent"

fail() {
    printf '%s: %s\n' "$name" "$*" >&2
    exit 70
}

[[ -r "$image" ]] || fail "cannot read $image: reinstall the package"

# Mounted by the kernel (the package's mount unit): the fast start, nothing to set up or undo.
mounted="$here/app"
[[ -x "$mounted/$name" ]] && exec "$mounted/$name" "$@"
printf '%s: %s is not mounted by the system (no systemd?): mounting the image with squashfuse, a slower start\n' \
    "$name" "$mounted" >&2
command -v squashfuse_ll >/dev/null 2>&1 ||
    fail "squashfuse is missing (Debian: apt install squashfuse fuse3)"
[[ -r /dev/fuse && -w /dev/fuse ]] ||
    fail "/dev/fuse cannot be opened: this system (or container) has no FUSE for $USER"

base="${XDG_RUNTIME_DIR:-}"
[[ -n "$base" && -d "$base" && -w "$base" ]] || base="${TMPDIR:-/tmp}"
mount="$(mktemp -d "$base/$name.XXXXXXXX")" || fail "cannot create a mount folder in $base"

unmount() {
    fusermount3 -u -z "$mount" 2>/dev/null || fusermount -u -z "$mount" 2>/dev/null ||
        umount -l "$mount" 2>/dev/null
    rmdir "$mount" 2>/dev/null
}

# squashfuse_ll returns once the image is mounted (it then serves it in the background).
if ! error="$(squashfuse_ll -o ro "$image" "$mount" 2>&1)"; then
    rmdir "$mount" 2>/dev/null
    fail "cannot mount $image: $error"
fi

# Read the largest libraries once, sequentially, while the app starts: the loader and Chromium
# then find most of their pages in the page cache instead of faulting each one in through FUSE
# (median start 14.1 -> 9.6 s at load ~11: docs/builds.md).
lib="$mount/_internal/PyQt6/Qt6/lib"
(
    cd / || exit 0
    cat "$lib/libQt6WebEngineCore.so.6" "$lib/libicudata.so.73" "$lib/libQt6Gui.so.6" \
        "$lib/libQt6Quick.so.6" "$lib/libQt6Widgets.so.6" "$lib/libQt6Core.so.6" \
        "$mount/_internal/PyQt6/Qt6/resources/"*
) </dev/null >/dev/null 2>&1 &
# A watcher detaches the mount once the app (this process, after exec) has exited: lazily, as
# helper processes the app started may still be finishing. It keeps nothing of the mount open
# (cwd /, no inherited output), so the app's stdout closes with the app.
(
    cd / || exit 0
    tail --pid=$$ -f /dev/null
    unmount
) </dev/null >/dev/null 2>&1 &
disown
# The app replaces this shell: same process id, signals and exit status go straight to it.
exec "$mount/$name" "$@"
