# Shared by the end-to-end scripts that drive `wharf serve` (sourced after `wharf` is set): a
# scratch folder $tmp, removed at exit together with the server the script started ($server)
# and any other process whose pid it adds to $helpers; checks that print "ok" or "FAIL" and count
# the failures; and start_wharf, which starts the server on $tmp/wharf.yaml.
tmp=$(mktemp -d)
server=""
helpers=()
failures=0
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  for pid in "${helpers[@]}"; do kill "$pid" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT
check() {  # check NAME EXPECTED ACTUAL
  if [ "$2" == "$3" ]; then echo "ok   $1"; else echo "FAIL $1: expected '$2', got '$3'"; failures=$((failures + 1)); fi
}
contains() {  # contains NAME NEEDLE HAYSTACK
  if [[ "$3" == *"$2"* ]]; then echo "ok   $1"; else echo "FAIL $1: no '$2' in: ${3:0:800}"; failures=$((failures + 1)); fi
}
# start_wharf: `wharf serve --project $tmp/wharf.yaml` in the background, its output appended to
# $tmp/serve.out and serve.err; returns once it says it is ready (at most 10 s), with $endpoint
# set to its Step Functions API. The caller checks what it needs of serve.out.
start_wharf() {
  "$wharf" serve --project "$tmp/wharf.yaml" >"$tmp/serve.out" 2>>"$tmp/serve.err" &
  server=$!
  for _ in $(seq 100); do grep -q "ready in" "$tmp/serve.out" && break; sleep 0.1; done
  endpoint=http://$(sed -n 's|^wharf: Step Functions API on http://\([^ ]*\).*|\1|p' "$tmp/serve.out")
}
