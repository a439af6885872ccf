# Sourced by scripts that exercise a demo server (scripts/schemathesis, scripts/loadcheck):
# starts `giftbuyer serve --demo` on a free loopback port with a fresh data directory, stops it
# and removes the directory on exit, and signs a user in.
#
# After `start_demo_server NAME BINARY DROP_EVERY`: $server (the pid), $base (http://ADDR),
# $work (a temporary directory). After `sign_up USERNAME`: $session (the session cookie).

work=$(mktemp -d)
server=""
stop_demo_server() {
    if [ -n "$server" ]; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap stop_demo_server EXIT

start_demo_server() { # NAME BINARY DROP_EVERY
    local name=$1 bin=$2 drop_every=$3 addr=""
    "$bin" serve --demo --demo-drop-every "$drop_every" --addr 127.0.0.1:0 --data-dir "$work/data" \
        >"$work/stdout" 2>"$work/server.log" &
    server=$!
    for _ in $(seq 1 200); do
        addr=$(sed -n 's|.*listening on http://\([^ ]*\).*|\1|p' "$work/stdout" | head -n1)
        [ -n "$addr" ] && break
        if ! kill -0 "$server" 2>/dev/null; then
            cat "$work/server.log" >&2
            echo "$name: the server did not start" >&2
            exit 1
        fi
        sleep 0.1
    done
    [ -n "$addr" ] || { echo "$name: the server did not say where it listens" >&2; exit 1; }
    base="http://$addr"
}

sign_up() { # USERNAME
    curl -sS --fail -c "$work/cookies" -H 'Content-Type: application/json' -H "Origin: $base" \
        -d "{\"username\":\"$1\",\"password\":\"correct horse battery staple\"}" \
        "$base/api/auth/register" >/dev/null
    session=$(awk '$6 == "giftbuyer_session" { print $7 }' "$work/cookies")
    [ -n "$session" ] || { echo "registration gave no session cookie" >&2; exit 1; }
}
