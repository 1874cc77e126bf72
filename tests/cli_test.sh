#!/usr/bin/env bash
# Black-box tests of the `wharf` binary: exit codes, stdout/stderr contracts, real functions.
# Usage: cli_test.sh PATH/TO/wharf
set -uo pipefail
wharf=$(realpath "$1")
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
check() {  # check NAME EXPECTED ACTUAL
  if [ "$2" == "$3" ]; then echo "ok   $1"; else echo "FAIL $1: expected [$2], got [$3]"; failures=$((failures+1)); fi
}
contains() {  # contains NAME NEEDLE HAYSTACK
  if [[ "$3" == *"$2"* ]]; then echo "ok   $1"; else echo "FAIL $1: [$2] not in [$3]"; failures=$((failures+1)); fi
}

cat > "$tmp/ok.json" <<'J'
{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"greeting.$":"States.Format('hello {}', $.name)"},"End":true}}}
J
out=$("$wharf" run "$tmp/ok.json" --input <(echo '{"name":"wharf"}')); code=$?
check "run prints the output" '{"greeting":"hello wharf"}' "$out"
check "run exits 0 on success" 0 "$code"

out=$(echo '{"name":"stdin"}' | "$wharf" run "$tmp/ok.json" --input -)
check "run reads the input from stdin" '{"greeting":"hello stdin"}' "$out"

cat > "$tmp/fail.json" <<'J'
{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Custom.Error","Cause":"it broke"}}}
J
out=$("$wharf" run "$tmp/fail.json"); code=$?
check "a failed execution prints Error and Cause" '{"Error":"Custom.Error","Cause":"it broke"}' "$out"
check "a failed execution exits 1" 1 "$code"

cat > "$tmp/bad.json" <<'J'
{
  "StartAt": "A",
  "States": {
    "A": {
      "Type": "Pass",
      "Next": "Nowhere"
    }
  }
}
J
out=$("$wharf" run "$tmp/bad.json" 2>"$tmp/err"); code=$?
check "an invalid definition exits 2" 2 "$code"
check "an invalid definition prints nothing on stdout" "" "$out"
err=$(cat "$tmp/err")
contains "the message names the file" "bad.json" "$err"
contains "the message names the state" "'A'" "$err"
contains "the message names the missing target" "Nowhere" "$err"

out=$("$wharf" validate "$tmp/ok.json"); code=$?
check "validate accepts a good definition" "valid 0" "$out $code"
"$wharf" validate "$tmp/bad.json" 2>/dev/null; check "validate rejects a bad one" 2 $?

echo '{"StartAt": "A", "States": {' > "$tmp/broken.json"
err=$("$wharf" run "$tmp/broken.json" 2>&1 >/dev/null); code=$?
check "malformed JSON exits 2" 2 "$code"
contains "malformed JSON names the line" "line" "$err"

err=$("$wharf" run "$tmp/missing.json" 2>&1); check "a missing file exits 2" 2 $?
contains "a missing file is named" "missing.json" "$err"

echo '{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}' > "$tmp/jsonata.json"
err=$("$wharf" run "$tmp/jsonata.json" 2>&1); check "JSONata is refused" 2 $?
contains "JSONata refusal says so" "JSONata" "$err"

out=$("$wharf" run "$tmp/ok.json" --input <(echo '{"name":"h"}') --history | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{console.log(JSON.parse(s).map(e=>e.type).join(","))})')
check "--history prints the events" "ExecutionStarted,PassStateEntered,PassStateExited,ExecutionSucceeded" "$out"

# Real functions, both resource forms, with an errorType and a timeout.
cat > "$tmp/functions.json" <<'J'
{
  "upper": {"command": ["/bin/sh", "-c", "tr a-z A-Z"]},
  "boom": {"command": ["/bin/sh", "-c", "echo 'some log' >&2; echo '{\"errorType\":\"Boom\",\"errorMessage\":\"it blew\"}'; exit 3"]},
  "slow": {"command": ["sleep", "30"], "timeout": 1}
}
J
cat > "$tmp/tasks.json" <<'J'
{"StartAt":"L","States":{
  "L":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:upper","ResultPath":"$.legacy","Next":"I"},
  "I":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"upper","Payload":{"x.$":"$.x"}},"ResultPath":"$.invoke","Next":"B"},
  "B":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:boom","Catch":[{"ErrorEquals":["Boom"],"ResultPath":"$.caught","Next":"S"}],"End":true},
  "S":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:slow","End":true}}}
J
out=$("$wharf" run "$tmp/tasks.json" --input <(echo '{"x":"abc"}') --functions "$tmp/functions.json"); code=$?
check "a function timeout fails the execution" 1 "$code"
contains "the timeout is States.Timeout" '"Error":"States.Timeout"' "$out"
hist=$("$wharf" run "$tmp/tasks.json" --input <(echo '{"x":"abc"}') --functions "$tmp/functions.json" --history)
contains "the legacy ARN result is the function output" '\"legacy\":{\"X\":\"ABC\"}' "$hist"
contains "lambda:invoke wraps the output" '\"invoke\":{\"ExecutedVersion\":\"$LATEST\",\"Payload\":{\"X\":\"ABC\"},\"SdkHttpMetadata\"' "$hist"
contains "lambda:invoke gives the status code" '\"StatusCode\":200}' "$hist"
contains "errorType names the error and Catch takes it" '\"caught\":{\"Error\":\"Boom\"' "$hist"

out=$("$wharf" --help); contains "--help shows usage" "wharf run" "$out"
out=$("$wharf" help run); contains "help run documents exit codes" "exit code 2" "$out"
"$wharf" frobnicate 2>/dev/null; check "an unknown command exits 2" 2 $?

# wharf passwd: a yescrypt hash from a piped password, and --verify against it.
hash=$(printf 'open sesame\n' | "$wharf" passwd); code=$?
check "passwd prints a hash" 0 "$code"
contains "the hash is yescrypt" '$y$' "$hash"
hash2=$(printf 'open sesame\n' | "$wharf" passwd)
[ "$hash" != "$hash2" ]; check "each hash has its own salt" 0 $?
printf 'open sesame\n' | "$wharf" passwd --verify "$hash" >/dev/null; check "passwd --verify accepts the password" 0 $?
printf 'open sesame!\n' | "$wharf" passwd --verify "$hash" >/dev/null; check "passwd --verify refuses another" 1 $?

# The example behind `make demo`.
out=$("$wharf" run "$here/examples/products/products.asl.json" --input "$here/examples/products/input.json" --functions "$here/examples/products/functions.json"); code=$?
check "the products example succeeds" 0 "$code"
contains "the products example registers the good rows" '"registered":["A-100","C-300"]' "$out"

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
