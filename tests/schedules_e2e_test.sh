#!/usr/bin/env bash
# End to end, issue 5 ("Schedules"): `wharf serve` starts a state machine by the clock. An at()
# schedule a few seconds ahead starts its execution, which gets the schedule's input and succeeds;
# an at() in Europe/Berlin time that falls while wharf is stopped fires once when wharf is back,
# with the log line of the missed-run policy, and neither fires again after kill -9 and a restart.
# Usage: tests/schedules_e2e_test.sh PATH/TO/wharf
set -uo pipefail
wharf=$(realpath "$1")
source "$(dirname "$0")/e2e_lib.sh"

cat >"$tmp/report.asl.json" <<'JSON'
{
  "Comment": "Echoes what the schedule passed",
  "StartAt": "Echo",
  "States": {"Echo": {"Type": "Pass", "Parameters": {"got.$": "$.report"}, "End": true}}
}
JSON
# `soon` fires 7 s from now (UTC); `later` 20 s from now, written in Berlin's wall time. The
# margins leave room for a slow start on a loaded machine (ctest -j runs other servers beside
# this one): wharf must be up before `soon`, and the first part done before `later`.
written=$(date +%s)
soon=$(date -u -d "@$((written + 7))" +%Y-%m-%dT%H:%M:%S)
later_epoch=$((written + 20))
later=$(TZ=Europe/Berlin date -d "@$later_epoch" +%Y-%m-%dT%H:%M:%S)
later_utc=$(date -u -d "@$later_epoch" +%Y-%m-%dT%H:%M:%SZ)
cat >"$tmp/wharf.yaml" <<YAML
state_machines:
  report: report.asl.json
schedules:
  soon:
    expression: at($soon)
    target: {state_machine: report, input: {report: soon}}
  later:
    expression: at($later)
    timezone: Europe/Berlin
    target:
      state_machine: report
      input: '{"report": "later"}'
  never:
    expression: rate(1 minute)
    enabled: false
    target: {state_machine: report}
auth: {unauthenticated: true}
http: {listen: 127.0.0.1:0}
data: $tmp/data
YAML

start_server() {
  start_wharf
  [ "$endpoint" != "http://" ] || { cat "$tmp/serve.out" "$tmp/serve.err"; echo "FAIL wharf serve did not start"; exit 1; }
}
executions() {  # the report machine's executions as JSON
  "$wharf" executions report --json --unsigned --endpoint "$endpoint" 2>&1
}
names() {  # the executions' names, sorted, one a line, with their status
  executions | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{for(const e of JSON.parse(s).map(x=>x.name.replace(/-[0-9a-f]{32}$/,"")+" "+x.status).sort())console.log(e)})'
}
wait_for() {  # wait_for TEXT SECONDS: until names() prints TEXT
  for _ in $(seq $(($2 * 10))); do
    [ "$(names 2>/dev/null)" == "$1" ] && return 0
    sleep 0.1
  done
  return 1
}

start_server
echo "wharf was ready $(($(date +%s) - written)) s after the project file was written (soon: +7 s)"
contains "serve reports the schedules" "wharf: 3 schedules" "$(cat "$tmp/serve.out")"
contains "and no rule of the project's" "event bus with 0 rules" "$(cat "$tmp/serve.out")"
check "nothing runs before its time" "" "$(names)"
wait_for "schedule_soon SUCCEEDED" 15; check "at($soon) started its execution, which succeeded" 0 $?
name=$(executions | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[0].name))')
[[ "$name" =~ ^schedule_soon-[0-9a-f]{32}$ ]]; check "its name comes from the schedule and the run ($name)" 0 $?
described=$("$wharf" describe "report:$name" --json --unsigned --endpoint "$endpoint")
contains "the execution got the schedule's input" '\"got\":\"soon\"' "$described"

# Stopped before `later` and back after it: the missed run fires once, and is logged.
kill "$server"; wait "$server" 2>/dev/null; server=""
now=$(date +%s)
[ "$now" -lt "$later_epoch" ]; check "wharf stopped before the later run ($((now - written)) s in; later: +20 s)" 0 $?
sleep $((later_epoch - now + 1))
start_server
wait_for "schedule_later SUCCEEDED
schedule_soon SUCCEEDED" 10; check "the run missed while stopped fired when wharf was back" 0 $?
contains "and it was logged" "wharf: schedule later: missed 1 run while stopped; firing the one at $later_utc" "$(cat "$tmp/serve.err")"
described=$("$wharf" describe "report:$(executions | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).find(x=>x.name.startsWith("schedule_later")).name))')" --json --unsigned --endpoint "$endpoint")
contains "with its own input" '\"got\":\"later\"' "$described"

# Killed and started again: nothing fires twice, and the disabled schedule never fired.
kill -9 "$server"; wait "$server" 2>/dev/null; server=""
start_server
sleep 1.5
check "after kill -9 and a restart, each run happened once" "schedule_later SUCCEEDED
schedule_soon SUCCEEDED" "$(names)"
check "one missed-run line in all" 1 "$(grep -c 'missed' "$tmp/serve.err")"

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
