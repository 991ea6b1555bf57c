#!/bin/bash
# remotesales-agent: the launcher of the agent app when its folder ships as a compressed
# image (docs/builds.md, "The compressed image"). The package installs the PyInstaller folder
# as /opt/remotesales-agent/remotesales-agent.squashfs (zstd squashfs, ~40 % of the folder's
# bytes) beside this script. It runs the app, in this order of preference, and says which in
# one line on stderr (the app's log):
#  1. from app/, where the kernel mounted the image (the package's postinst: a systemd mount
#     unit, or without systemd a mount of its own and an /etc/fstab line): the fast start;
#  2. else from a squashfuse_ll mount of its own (FUSE, no root: what an AppImage's runtime
#     does) in a new folder, detached by a small watcher once the app has exited;
#  3. else (no squashfuse, no usable /dev/fuse, a failed mount) from the plain folder, the
#     image extracted once with unsquashfs into the user's cache and reused while the image
#     stays the same.
# Each runs the app with exec: the same process, arguments, signals and exit status. 70 with
# a message when none can.
set -u
here="$(dirname "$(readlink -f "$0")")"
image="$here/remotesales-agent.squashfs"
name="remotesales-agent"

fail() {
    printf '%s: %s\n' "$name" "$*" >&2
    exit 70
}

say() {
    printf '%s: %s\n' "$name" "$*" >&2
}

[[ -r "$image" ]] || fail "cannot read $image: reinstall the package"

# 1. Mounted by the kernel: nothing to set up or undo.
mounted="$here/app"
if [[ -x "$mounted/$name" ]]; then
    say "running from the image mounted by the system at $mounted"
    exec "$mounted/$name" "$@"
fi

# 3. The plain folder: the image extracted into the user's cache, once per image (its size and
# time name the folder; older ones are removed). A lock keeps two first launches from both
# extracting; a half-done extraction is never used.
run_extracted() {
    local why="$1" cache stamp folder
    shift
    command -v unsquashfs >/dev/null 2>&1 ||
        fail "$why, and unsquashfs is missing to extract it (Debian: apt install squashfs-tools)"
    cache="${XDG_CACHE_HOME:-${HOME:-}/.cache}/$name"
    [[ "$cache" == /* ]] || fail "$why, and there is no cache folder to extract it into (HOME?)"
    mkdir -p "$cache" || fail "$why, and $cache cannot be created"
    stamp="$(stat -L -c '%s-%Y' "$image")" || fail "cannot read $image"
    folder="$cache/app-$stamp"
    exec 9>"$cache/.lock" || fail "$why, and $cache is not writable"
    flock 9
    if [[ ! -x "$folder/$name" ]]; then
        say "$why: extracting the image into $folder once (about 460 MB; later starts reuse it)"
        rm -rf "$folder.partial" "$cache"/app-*
        if ! error="$(unsquashfs -no-xattrs -q -n -d "$folder.partial" "$image" 2>&1)"; then
            rm -rf "$folder.partial"
            fail "cannot extract $image into $cache: ${error:-unsquashfs failed}"
        fi
        mv "$folder.partial" "$folder" || fail "cannot finish $folder"
    fi
    exec 9>&-
    say "$why: running from the extracted image in $folder"
    exec "$folder/$name" "$@"
}

# 2. A squashfuse mount of its own.
command -v squashfuse_ll >/dev/null 2>&1 ||
    run_extracted "the image is not mounted by the system and squashfuse is missing" "$@"
[[ -r /dev/fuse && -w /dev/fuse ]] ||
    run_extracted "the image is not mounted by the system and /dev/fuse cannot be opened" "$@"

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
    run_extracted "the image is not mounted by the system and squashfuse failed (${error:-no message})" "$@"
fi
say "$mounted is not mounted by the system (no systemd?): mounting the image with squashfuse, a slower start"

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
