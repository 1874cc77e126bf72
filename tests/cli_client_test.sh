#!/usr/bin/env bash
# Black-box tests of the client commands (`wharf start`, `executions`, `describe`, `history`,
# `stop`, `redrive`) against a real `wharf serve`: once with SigV4 auth, once --unauthenticated.
# Cases that need an action the server does not serve yet (it answers UnknownOperationException,
# or ServiceUnavailable when it has no engine) are reported as "skip" with the reason; any other
# wrong answer fails.
# Usage: cli_client_test.sh PATH/TO/wharf
set -uo pipefail
wharf=$(realpath "$1")
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT
failures=0 passed=0 skipped=0
ok() { echo "ok   $1"; passed=$((passed+1)); }
fail() { echo "FAIL $1"; failures=$((failures+1)); }
skip() { echo "skip $1 ($2)"; skipped=$((skipped+1)); }
check() {  # check NAME EXPECTED ACTUAL
  if [ "$2" == "$3" ]; then ok "$1"; else fail "$1: expected [$2], got [$3]"; fi
}
contains() {  # contains NAME NEEDLE HAYSTACK
  if [[ "$3" == *"$2"* ]]; then ok "$1"; else fail "$1: [$2] not in [$3]"; fi
}
# w ARGS...: runs wharf; sets $out, $err and $code.
w() { out=$("$wharf" "$@" 2>"$tmp/err"); code=$?; err=$(cat "$tmp/err"); }
# True when the last call failed because the server does not serve that action yet.
not_served() { [ "$code" == 1 ] && [[ "$err" == *"wharf: UnknownOperationException:"* || "$err" == *"wharf: ServiceUnavailable:"* ]]; }
# json_get FIELD: prints a top-level field of the JSON on stdin.
json_get() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s)[process.argv[1]];console.log(typeof v==="string"?v:JSON.stringify(v))})' "$1"; }

unset WHARF_ENDPOINT AWS_SESSION_TOKEN AWS_REGION AWS_DEFAULT_REGION AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
key=AKIDWHARFCLITEST
secret='wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'

# --- The project -------------------------------------------------------------------------------
mkdir -p "$tmp/project" "$tmp/client" "$tmp/nowhere"
cd "$tmp/project"
echo '{"StartAt":"Greet","States":{"Greet":{"Type":"Pass","Parameters":{"greeting.$":"States.Format('"'"'hello {}'"'"', $.who)"},"End":true}}}' > hello.asl.json
echo '{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Custom.Error","Cause":"it broke"}}}' > boom.asl.json
echo '{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":600,"End":true}}}' > slow.asl.json
echo '{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:flaky","End":true}}}' > flaky.asl.json
# flaky fails with Flaky.NotYet until the file `fixed` exists: what a redrive is for.
cat > wharf.yaml <<Y
state_machines:
  hello: hello.asl.json
  boom: boom.asl.json
  slow: slow.asl.json
  flaky: flaky.asl.json
  quick: { definition: hello.asl.json, type: EXPRESS }
functions:
  flaky:
    command: ["/bin/sh", "-c", "if [ -e '$tmp/fixed' ]; then echo '{\"fixed\":true}'; else echo '{\"errorType\":\"Flaky.NotYet\",\"errorMessage\":\"not fixed\"}'; exit 1; fi"]
auth:
  access_keys:
    - access_key_id: $key
      secret_access_key: $secret
Y

# start_server LOG ARGS...: starts `wharf serve` on a free port; sets $ep.
start_server() {
  local log=$1; shift
  "$wharf" serve --project "$tmp/project/wharf.yaml" --http 127.0.0.1:0 "$@" > "$log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  ep=""
  for _ in $(seq 200); do
    ep=$(grep -o 'on http://[^ ]*' "$log" | head -1 | cut -c4-)
    [ -n "$ep" ] && return 0
    if ! kill -0 "$pid" 2>/dev/null; then echo "FAIL wharf serve did not start: $(cat "$log")"; exit 1; fi
    sleep 0.05
  done
  echo "FAIL wharf serve printed no address in 10 s: $(cat "$log")"; exit 1
}

# --- Help and usage (no server) -------------------------------------------------------------------
for c in start executions describe history stop redrive; do
  w help "$c"; check "help $c exits 0" 0 "$code"
  contains "help $c shows the synopsis" "wharf $c" "$out"
  contains "help $c explains the endpoint order" '$WHARF_ENDPOINT' "$out"
  w "$c" --help; contains "$c --help shows the same help" "wharf $c" "$out"
done
w help start; contains "help start names the action" "StartExecution" "$out"
contains "help start documents --wait" "--wait" "$out"
w help history; contains "help history names the action" "GetExecutionHistory" "$out"
w help redrive; contains "help redrive names the action" "RedriveExecution" "$out"
w --help; contains "--help lists the client commands" "wharf executions [MACHINE]" "$out"
w start; check "start without MACHINE is a usage error" 2 "$code"
contains "the usage error shows the synopsis" "usage: wharf start MACHINE" "$err"
w start hello --frobnicate; check "an unknown option is a usage error" 2 "$code"
contains "the unknown option is named" "unknown option --frobnicate" "$err"
w start hello --input '{"a":'; check "--input that is not JSON is a usage error" 2 "$code"
contains "bad --input is named" "--input is not JSON" "$err"
w start hello --input '{}' --input-file x.json; check "--input with --input-file is refused" 2 "$code"
w executions --limit 0; check "--limit 0 is refused" 2 "$code"
w executions --status DONE; check "an unknown --status is refused" 2 "$code"
contains "the statuses are listed" "PENDING_REDRIVE" "$err"
w describe just-a-name --endpoint http://127.0.0.1:1; check "describe of neither ARN nor MACHINE:NAME is a usage error" 2 "$code"
contains "it says what is expected" "neither an execution ARN nor MACHINE:NAME" "$err"
w describe m:e --endpoint https://127.0.0.1:8700; check "an https endpoint is refused" 2 "$code"
contains "it says why" "https is not supported" "$err"
w describe m:e --endpoint 127.0.0.1:8700; check "an endpoint without http:// is refused" 2 "$code"
AWS_ACCESS_KEY_ID=$key w executions --endpoint http://127.0.0.1:1
check "half a credential pair is a usage error" 2 "$code"
contains "it names the missing variable" "AWS_SECRET_ACCESS_KEY is not" "$err"
w executions --endpoint http://127.0.0.1:1 --unsigned; check "an unreachable endpoint exits 1" 1 "$code"
contains "an unreachable endpoint is named" "cannot connect to http://127.0.0.1:1" "$err"
printf 'http:\n  listen: 127.0.0.1:0\n' > "$tmp/client/port0.yaml"
w executions --project "$tmp/client/port0.yaml"; check "a project listening on port 0 cannot name the endpoint" 2 "$code"
contains "it says to pass --endpoint" "--endpoint" "$err"

# --- A service with SigV4 auth ----------------------------------------------------------------------
start_server "$tmp/signed.log" --data "$tmp/data-signed"
signed_ep=$ep
export AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret

AWS_SECRET_ACCESS_KEY=not-the-secret w executions --endpoint "$ep"
check "a wrong secret exits 1" 1 "$code"
contains "a wrong secret is AWS's InvalidSignatureException" "wharf: InvalidSignatureException: The request signature we calculated does not match" "$err"
AWS_ACCESS_KEY_ID=AKIDUNKNOWN w executions --endpoint "$ep"
contains "an unknown key is UnrecognizedClientException" "wharf: UnrecognizedClientException:" "$err"
AWS_SESSION_TOKEN=token w executions --endpoint "$ep"
contains "a session token is sent (and refused by wharf serve)" "wharf: UnrecognizedClientException: The security token included in the request is invalid" "$err"
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$wharf" executions --endpoint "$ep" 2>"$tmp/err"
check "without credentials the request goes unsigned and is refused" 1 $?
contains "... as MissingAuthenticationTokenException" "wharf: MissingAuthenticationTokenException:" "$(cat "$tmp/err")"
w executions --endpoint "$ep" --unsigned
contains "--unsigned sends no signature even with credentials set" "wharf: MissingAuthenticationTokenException:" "$err"

w start nosuch --endpoint "$ep"; check "start of an unknown machine exits 1" 1 "$code"
contains "an unknown machine name is StateMachineDoesNotExist, with the names there are" \
  "wharf: StateMachineDoesNotExist: no state machine named 'nosuch' at $ep (it has: boom, flaky, hello, quick, slow)" "$err"

# Where the client connects: --endpoint, then --project, then $WHARF_ENDPOINT, then ./wharf.yaml.
printf 'http:\n  listen: %s\n' "${ep#http://}" > "$tmp/client/wharf.yaml"
out=$(cd "$tmp/client" && "$wharf" start nosuch 2>&1)
contains "./wharf.yaml's http.listen is the endpoint" "at $ep (it has:" "$out"
out=$(cd "$tmp/client" && WHARF_ENDPOINT=http://127.0.0.1:1 "$wharf" start nosuch 2>&1)
contains "\$WHARF_ENDPOINT comes before ./wharf.yaml" "cannot connect to http://127.0.0.1:1" "$out"
out=$(cd "$tmp/nowhere" && WHARF_ENDPOINT=http://127.0.0.1:1 "$wharf" start nosuch --project "$tmp/client/wharf.yaml" 2>&1)
contains "--project comes before \$WHARF_ENDPOINT" "at $ep (it has:" "$out"
out=$(cd "$tmp/nowhere" && WHARF_ENDPOINT=http://127.0.0.1:1 "$wharf" start nosuch --project "$tmp/client/port0.yaml" --endpoint "$ep" 2>&1)
contains "--endpoint comes first" "at $ep (it has:" "$out"
out=$(cd "$tmp/nowhere" && WHARF_ENDPOINT=$ep "$wharf" start nosuch 2>&1)
contains "\$WHARF_ENDPOINT alone" "at $ep (it has:" "$out"
export WHARF_ENDPOINT=$ep

# A fresh service: no executions, and none to describe.
w executions hello
if not_served; then skip "executions on a fresh service" "the server answers: $err"
else
  check "executions of a machine without any exits 0" 0 "$code"
  check "... prints nothing on stdout" "" "$out"
  contains "... and says so on stderr" "no executions" "$err"
  w executions; check "executions of every machine on a fresh service exits 0" 0 "$code"
  check "... prints nothing on stdout" "" "$out"
  w executions hello --json; check "executions --json on a fresh service is []" "[] 0" "$out $code"
  w executions nosuch; contains "executions of an unknown machine" "wharf: StateMachineDoesNotExist:" "$err"
fi
w describe hello:missing
if not_served; then skip "describe of a missing execution" "the server answers: $err"
else
  check "describe of a missing execution exits 1" 1 "$code"
  contains "... with ExecutionDoesNotExist" "wharf: ExecutionDoesNotExist:" "$err"
  w describe arn:aws:states:us-east-1:111111111111:execution:hello:missing
  contains "describe by ARN of a missing execution" "wharf: ExecutionDoesNotExist:" "$err"
fi
w history hello:missing
if not_served; then skip "history of a missing execution" "the server answers: $err"
else contains "history of a missing execution is ExecutionDoesNotExist" "wharf: ExecutionDoesNotExist:" "$err"; fi

# Durable executions: run only when the server starts them.
w start hello --name first --input '{"who":"wharf"}'
started=0
if not_served; then
  skip "start, start --wait, describe, history, executions, stop and redrive of real executions" \
    "StartExecution is not served yet: $err"
else
  started=1
  check "start exits 0" 0 "$code"
  check "start prints the execution's ARN" "arn:aws:states:us-east-1:111111111111:execution:hello:first" "$out"
fi

if [ "$started" == 1 ]; then
  w start hello --name second --input '{"who":"partner"}' --wait
  check "start --wait of a succeeding execution exits 0" 0 "$code"
  check "start --wait prints ARN, status and output" \
    "arn:aws:states:us-east-1:111111111111:execution:hello:second
SUCCEEDED
{\"greeting\":\"hello partner\"}" "$out"
  w start hello --name second --input '{"who":"someone else"}'
  check "a name used before exits 1" 1 "$code"
  contains "... with ExecutionAlreadyExists" "wharf: ExecutionAlreadyExists:" "$err"

  echo '{"who":"a file"}' > "$tmp/input.json"
  w start arn:aws:states:us-east-1:111111111111:stateMachine:hello --name third --input-file "$tmp/input.json" --wait
  check "start by ARN with --input-file" "0 {\"greeting\":\"hello a file\"}" "$code $(echo "$out" | tail -1)"

  w start boom --name b1 --wait
  check "start --wait of a failing execution exits 1" 1 "$code"
  check "... and prints the status, error and cause" \
    "arn:aws:states:us-east-1:111111111111:execution:boom:b1
FAILED
{\"Error\":\"Custom.Error\",\"Cause\":\"it broke\"}" "$out"

  w describe hello:second
  check "describe exits 0" 0 "$code"
  contains "describe shows the status" "status:         SUCCEEDED" "$out"
  contains "describe shows the input" 'input:          {"who":"partner"}' "$out"
  contains "describe shows the output" 'output:         {"greeting":"hello partner"}' "$out"
  contains "describe shows the state machine" "state machine:  arn:aws:states:us-east-1:111111111111:stateMachine:hello" "$out"
  w describe boom:b1
  contains "describe shows the error" "error:          Custom.Error" "$out"
  contains "describe shows the cause" "cause:          it broke" "$out"
  w describe hello:second --json
  check "describe --json is DescribeExecution's answer" "SUCCEEDED" "$(echo "$out" | json_get status)"

  w history hello:second
  check "history exits 0" 0 "$code"
  types=$(echo "$out" | awk '{print $3}' | paste -sd, -)
  check "history prints one line per event, in order" "ExecutionStarted,PassStateEntered,PassStateExited,ExecutionSucceeded" "$types"
  check "history names the state" "Greet" "$(echo "$out" | awk '$3 == "PassStateEntered" {print $4}')"
  check "history lines start with the event id" "1" "$(echo "$out" | head -1 | awk '{print $1}')"
  w history hello:second --reverse
  check "history --reverse starts with the last event" "ExecutionSucceeded" "$(echo "$out" | head -1 | awk '{print $3}')"
  w history hello:second --json
  check "history --json prints the events" "4" "$(echo "$out" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).length))')"
  w history boom:b1
  contains "history shows a failure's error and cause" "Custom.Error: it broke" "$(echo "$out" | grep ExecutionFailed)"

  w executions hello
  check "executions prints a table" "NAME STATUS START STOP" "$(echo "$out" | head -1 | tr -s ' ')"
  check "executions lists the machine's executions, newest first" \
    "third SUCCEEDED,second SUCCEEDED,first SUCCEEDED" "$(echo "$out" | awk 'NR>1{print $1, $2}' | paste -sd, -)"
  w executions hello --limit 2
  check "executions --limit 2 shows two" "3" "$(echo "$out" | wc -l)"
  w executions --status FAILED
  check "executions of every machine with --status FAILED" "MACHINE NAME STATUS START STOP|boom b1 FAILED" \
    "$(echo "$out" | awk 'NR==1{print $1,$2,$3,$4,$5} NR>1{print $1,$2,$3}' | paste -sd'|' -)"

  w start slow --name s1
  w stop slow:s1 --error Halt --cause "stopped by the test"
  check "stop exits 0" 0 "$code"
  contains "stop prints what it stopped" "stopped arn:aws:states:us-east-1:111111111111:execution:slow:s1 at " "$out"
  w describe slow:s1
  contains "a stopped execution is ABORTED" "status:         ABORTED" "$out"
  contains "... with the stop's error" "error:          Halt" "$out"
  w history slow:s1
  contains "its history ends with ExecutionAborted and the cause" "Halt: stopped by the test" "$(echo "$out" | grep ExecutionAborted)"

  w redrive hello:second
  check "redrive of a succeeded execution exits 1" 1 "$code"
  contains "... with ExecutionNotRedrivable" "wharf: ExecutionNotRedrivable:" "$err"
  w start flaky --name f1 --wait
  check "the flaky function fails first" "1 FAILED" "$code $(echo "$out" | sed -n 2p)"
  touch "$tmp/fixed"
  w redrive flaky:f1
  check "redrive exits 0" 0 "$code"
  contains "redrive prints what it redrove" "redriven arn:aws:states:us-east-1:111111111111:execution:flaky:f1 at " "$out"
  status=""
  for _ in $(seq 300); do
    status=$("$wharf" describe flaky:f1 --json | json_get status)
    [ "$status" == SUCCEEDED ] || [ "$status" == FAILED ] && break
    sleep 0.1
  done
  check "the redriven execution succeeds" SUCCEEDED "$status"
  w describe flaky:f1
  contains "describe counts the redrive" "redrives:       1, last at " "$out"
fi

# --- The same service --unauthenticated ------------------------------------------------------------
start_server "$tmp/open.log" --data "$tmp/data-open" --unauthenticated
unset WHARF_ENDPOINT
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$wharf" start nosuch --endpoint "$ep" 2>"$tmp/err"
contains "unsigned requests reach an --unauthenticated service" \
  "wharf: StateMachineDoesNotExist: no state machine named 'nosuch' at $ep" "$(cat "$tmp/err")"
w start nosuch --endpoint "$ep" --unsigned
contains "--unsigned reaches it too" "no state machine named 'nosuch' at $ep" "$err"
w executions hello --endpoint "$ep" --unsigned
if not_served; then skip "executions on a fresh --unauthenticated service" "the server answers: $err"
else check "executions on a fresh --unauthenticated service" "0 " "$code $out"; fi
w describe hello:missing --endpoint "$ep" --unsigned
if not_served; then skip "describe of a missing execution, unsigned" "the server answers: $err"
else contains "describe of a missing execution, unsigned" "wharf: ExecutionDoesNotExist:" "$err"; fi
if [ "$started" == 1 ]; then
  env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$wharf" start hello --endpoint "$ep" --input '{"who":"anyone"}' --wait > "$tmp/out"
  check "start --wait without credentials" "0 {\"greeting\":\"hello anyone\"}" "$? $(tail -1 "$tmp/out")"
fi

echo "$passed passed, $failures failed, $skipped skipped"
[ "$failures" -eq 0 ]
