# shellcheck shell=bash
# Sourced by scripts/run, scripts/test and scripts/check: makes sure .venv exists and holds the
# project installed with its dev and desktop extras. Quick and silent when nothing changed.
#
# - Creates .venv with python3 (or $PYTHON) if it is missing or broken; needs Python >= 3.11.
# - Runs `pip install -e '.[dev,desktop]'` only when pyproject.toml changed since the last install: a
#   stamp inside .venv keeps the hash of pyproject.toml and of the interpreter's version.
# - Sets REPO_ROOT and VENV_PYTHON for the caller.
#
# On failure it prints what went wrong and what to do, and returns non-zero (the callers run
# with `set -e`, so they stop).

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV_DIR="$REPO_ROOT/.venv"
VENV_PYTHON="$VENV_DIR/bin/python"
_BOOTSTRAP_STAMP="$VENV_DIR/.remotesales-install-stamp"
_BOOTSTRAP_MIN_PYTHON="3.11"

_bootstrap_error() {
    printf 'bootstrap: error: %s\n' "$*" >&2
}

# True when the interpreter $1 runs and is at least $_BOOTSTRAP_MIN_PYTHON.
_bootstrap_python_ok() {
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' >/dev/null 2>&1
}

_bootstrap_find_python() {
    local candidate="${PYTHON:-python3}"
    if ! command -v "$candidate" >/dev/null 2>&1; then
        _bootstrap_error "'$candidate' was not found on PATH. Install Python $_BOOTSTRAP_MIN_PYTHON or newer" \
            "(Debian/Ubuntu: apt-get install python3 python3-venv), or point PYTHON at one:" \
            "PYTHON=/path/to/python3.11 $0"
        return 1
    fi
    if ! _bootstrap_python_ok "$candidate"; then
        local found
        found="$("$candidate" -c 'import sys; print(sys.version.split()[0])' 2>/dev/null || echo unknown)"
        _bootstrap_error "'$candidate' is Python $found; RemoteSales needs Python $_BOOTSTRAP_MIN_PYTHON or newer." \
            "Install a newer one and run again, or point PYTHON at it: PYTHON=/path/to/python3.11 $0"
        return 1
    fi
    printf '%s\n' "$candidate"
}

_bootstrap_create_venv() {
    local python
    python="$(_bootstrap_find_python)" || return 1
    if [[ -e "$VENV_DIR" ]]; then
        echo "bootstrap: $VENV_DIR is unusable (no working Python >= $_BOOTSTRAP_MIN_PYTHON in it); recreating it" >&2
        rm -rf "$VENV_DIR"
    fi
    echo "bootstrap: creating .venv with $("$python" -c 'import sys; print(sys.executable, sys.version.split()[0])')" >&2
    if ! "$python" -m venv "$VENV_DIR"; then
        _bootstrap_error "'$python -m venv' failed. On Debian/Ubuntu install the venv module:" \
            "apt-get install python3-venv"
        rm -rf "$VENV_DIR"
        return 1
    fi
}

# The stamp: what the current install was made from.
_bootstrap_wanted_stamp() {
    local hash version
    hash="$(sha256sum "$REPO_ROOT/pyproject.toml" | cut -d' ' -f1)" || return 1
    version="$("$VENV_PYTHON" -c 'import sys; print(sys.version.split()[0])')" || return 1
    printf 'pyproject.toml %s\npython %s\n' "$hash" "$version"
}

_bootstrap_install() {
    local wanted log
    wanted="$(_bootstrap_wanted_stamp)" || return 1
    if [[ -f "$_BOOTSTRAP_STAMP" && "$(cat "$_BOOTSTRAP_STAMP")" == "$wanted" ]]; then
        return 0
    fi
    echo "bootstrap: installing RemoteSales and its dev tools into .venv (pyproject.toml changed or first run)" >&2
    log="$VENV_DIR/.remotesales-install.log"
    rm -f "$_BOOTSTRAP_STAMP"
    if ! (cd "$REPO_ROOT" && "$VENV_PYTHON" -m pip install --quiet --disable-pip-version-check \
            --no-input -e '.[dev,desktop]') >"$log" 2>&1; then
        _bootstrap_error "pip install -e '.[dev,desktop]' failed; its output (also in $log):"
        tail -n 40 "$log" >&2
        return 1
    fi
    printf '%s\n' "$wanted" >"$_BOOTSTRAP_STAMP"
}

_bootstrap_main() {
    if [[ ! -f "$REPO_ROOT/pyproject.toml" ]]; then
        _bootstrap_error "no pyproject.toml in $REPO_ROOT"
        return 1
    fi
    if [[ ! -x "$VENV_PYTHON" ]] || ! _bootstrap_python_ok "$VENV_PYTHON"; then
        _bootstrap_create_venv || return 1
    fi
    # Two scripts started at once must not install into the same venv together.
    if command -v flock >/dev/null 2>&1; then
        (
            flock 9
            _bootstrap_install
        ) 9>"$VENV_DIR/.remotesales-bootstrap.lock"
    else
        _bootstrap_install
    fi
}

_bootstrap_main || return 1
