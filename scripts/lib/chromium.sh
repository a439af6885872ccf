# Sourced by scripts/test: makes sure the Chromium that the end-to-end test drives is there.
# A missing Chromium is installed from Debian's `chromium` package when the script runs as root
# on a machine with apt-get (a fresh CI machine or container); otherwise the script stops with
# one line saying exactly what to install, before any long build runs.
#
# After `ensure_chromium`: $chromium is the browser's path (from $CHROMIUM or the PATH).

ensure_chromium() {
    chromium=${CHROMIUM:-chromium}
    if command -v "$chromium" >/dev/null; then
        chromium=$(command -v "$chromium")
        return
    fi
    if [ -n "${CHROMIUM:-}" ]; then
        echo "error: CHROMIUM is set to $CHROMIUM, which is not an executable; point it at a Chromium binary or unset it" >&2
        exit 1
    fi
    if ! command -v apt-get >/dev/null; then
        echo "error: Chromium is missing, so the end-to-end test cannot run: install Chromium with your system's package manager (or set CHROMIUM to its binary)" >&2
        exit 1
    fi
    if [ "$(id -u)" != 0 ]; then
        echo "error: Chromium is missing, so the end-to-end test cannot run: sudo apt-get install -y chromium (or set CHROMIUM to a Chromium binary)" >&2
        exit 1
    fi
    echo "Chromium is missing: installing Debian's chromium package for the end-to-end test"
    # Quietly and without questions: a fresh machine has no terminal to answer debconf on.
    if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; then
        echo "error: apt-get could not install chromium (see above), so the end-to-end test cannot run" >&2
        exit 1
    fi
    chromium=$(command -v chromium)
    "$chromium" --version
}
