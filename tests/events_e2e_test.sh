#!/usr/bin/env bash
# End to end, issue 5: an upload by the real OpenSSH `sftp` raises the Transfer Family event, a
# rule of the project file matches it ({"source": ["aws.transfer"], "detail": {"file-path":
# [{"suffix": ".csv"}]}}), and its InputTransformer passes the file's path and size to a state
# machine, whose execution reads the file name from its input and succeeds. An upload that
# matches no rule starts nothing; a second upload of the same name starts a second execution;
# wharf killed (-9) right after an upload starts that upload's execution once when it is back.
# A webhook target gets the transformed event as a POST, retried after a 503 with the same
# Idempotency-Key; one answering 404 ends in the dead letters.
# Usage: tests/events_e2e_test.sh PATH/TO/wharf
set -uo pipefail
wharf=$(realpath "$1")
source "$(dirname "$0")/e2e_lib.sh"

ssh-keygen -q -t ed25519 -N '' -f "$tmp/key" -C acme@test
# The webhook receiver: /hook answers 503 once, then 200; /gone answers 404. Each POST is logged.
node -e '
  const http = require("http"); const fs = require("fs"); const dir = process.argv[1];
  let first = true;
  const server = http.createServer((req, res) => {
    let body = ""; req.on("data", (d) => body += d).on("end", () => {
      fs.appendFileSync(dir + "/hooks.log", JSON.stringify({ url: req.url, body,
        key: req.headers["idempotency-key"], type: req.headers["content-type"],
        attempt: req.headers["x-wharf-attempt"] }) + "\n");
      if (req.url === "/gone") { res.writeHead(404); res.end("no such hook"); return; }
      if (first) { first = false; res.writeHead(503); res.end("busy"); return; }
      res.writeHead(200); res.end("ok");
    });
  });
  server.listen(0, "127.0.0.1", () => fs.writeFileSync(dir + "/hook.port", String(server.address().port)));
' "$tmp" &
helpers+=($!)
for _ in $(seq 50); do [ -s "$tmp/hook.port" ] && break; sleep 0.1; done
hook_port=$(cat "$tmp/hook.port")
cat >"$tmp/import.asl.json" <<'EOF'
{
  "Comment": "Reads the file name from its input",
  "StartAt": "Name",
  "States": {
    "Name": {
      "Type": "Pass",
      "Parameters": {
        "file.$": "States.ArrayGetItem(States.StringSplit($.path, '/'), States.MathAdd(States.ArrayLength(States.StringSplit($.path, '/')), -1))",
        "bytes.$": "$.size"
      },
      "End": true
    }
  }
}
EOF
cat >"$tmp/wharf.yaml" <<EOF
state_machines:
  import: import.asl.json
users:
  acme:
    password_hash: '$(printf 'acme-pass\n' | "$wharf" passwd)'
    ssh_keys: ['$(cat "$tmp/key.pub")']
    home: partners/acme/
servers:
  sftp: {listen: 127.0.0.1:0}
rules:
  csv-uploads:
    description: a product master CSV starts the import
    event_pattern: {"source": ["aws.transfer"], "detail": {"file-path": [{"suffix": ".csv"}]}}
    targets:
      - state_machine: import
        input_transformer:
          input_paths_map: {path: $.detail.file-path, size: $.detail.bytes}
          input_template: '{"path": <path>, "size": <size>}'
  json-hooks:
    event_pattern: {"source": ["aws.transfer"], "detail": {"file-path": [{"suffix": ".json"}]}}
    targets:
      - webhook: http://127.0.0.1:$hook_port/hook
        input_transformer:
          input_paths_map: {path: $.detail.file-path}
          input_template: '{"uploaded": <path>}'
        retry_policy: {maximum_retry_attempts: 3}
      - id: gone
        webhook: http://127.0.0.1:$hook_port/gone
auth: {unauthenticated: true}
http: {listen: 127.0.0.1:0}
data: $tmp/data
EOF

start_server() {
  start_wharf
  sftp_port=$(sed -n 's/^wharf: SFTP on [^:]*:\([0-9]*\).*/\1/p' "$tmp/serve.out")
  [ -n "$sftp_port" ] || { cat "$tmp/serve.out" "$tmp/serve.err"; echo "FAIL wharf serve did not start"; exit 1; }
}
put() {  # put LOCAL REMOTE
  printf 'put %s %s\n' "$1" "$2" >"$tmp/batch"
  sftp -q -b "$tmp/batch" -i "$tmp/key" -P "$sftp_port" -oStrictHostKeyChecking=no \
    -oUserKnownHostsFile=/dev/null -oBatchMode=yes -oLogLevel=ERROR acme@127.0.0.1 >/dev/null 2>&1
}
executions() {  # the import machine's executions as JSON
  "$wharf" executions import --json --unsigned --endpoint "$endpoint" 2>&1
}
count() { executions | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).length))'; }
wait_for() {  # wait_for N: until the machine has N executions, all closed (10 s at most)
  for _ in $(seq 200); do
    local json
    json=$(executions)
    if node -e 'const e=JSON.parse(process.argv[1]);process.exit(e.length==process.argv[2]&&e.every(x=>x.status!="RUNNING")?0:1)' "$json" "$1" 2>/dev/null; then
      return 0
    fi
    sleep 0.05
  done
  return 1
}

start_server
contains "serve reports the project's rules" "event bus with 2 rules" "$(cat "$tmp/serve.out")"
mkdir -p "$tmp/in"
printf 'sku,price\nA-100,3.50\nB-200,4.25\n' >"$tmp/in/products.csv"
size=$(stat -c %s "$tmp/in/products.csv")
printf 'mkdir incoming\n' >"$tmp/batch"
sftp -q -b "$tmp/batch" -i "$tmp/key" -P "$sftp_port" -oStrictHostKeyChecking=no \
  -oUserKnownHostsFile=/dev/null -oBatchMode=yes -oLogLevel=ERROR acme@127.0.0.1 >/dev/null 2>&1

put "$tmp/in/products.csv" incoming/products_20221113.csv
wait_for 1; check "the upload started one execution, which closed" 0 $?
json=$(executions)
check "it succeeded" SUCCEEDED "$(node -e 'console.log(JSON.parse(process.argv[1])[0].status)' "$json")"
name=$(node -e 'console.log(JSON.parse(process.argv[1])[0].name)' "$json")
[[ "$name" =~ ^csv-uploads-[0-9a-f]{32}$ ]]; check "its name comes from the event and the rule ($name)" 0 $?
described=$("$wharf" describe "import:$name" --json --unsigned --endpoint "$endpoint")
contains "the InputTransformer passed the path" '\"path\": \"/wharf-landing/partners/acme/incoming/products_20221113.csv\"' "$described"
contains "and the size" "\\\"size\\\": $size" "$described"
contains "the execution read the file name from its input" '\"file\":\"products_20221113.csv\"' "$described"

# An upload no rule matches starts nothing.
printf 'notes\n' >"$tmp/in/notes.txt"
put "$tmp/in/notes.txt" incoming/notes.txt
sleep 0.5
check "a .txt upload starts nothing" 1 "$(count)"

# The same name again is a new upload, so a new event and a second execution.
printf 'sku,price\nA-100,3.75\n' >"$tmp/in/products.csv"
put "$tmp/in/products.csv" incoming/products_20221113.csv
wait_for 2; check "a second upload of the same name starts a second execution" 0 $?

# Webhooks: the transformed event as a POST, retried after a 503 with the same key; a 404 is
# a dead letter.
printf '{"a": 1}\n' >"$tmp/in/meta.json"
put "$tmp/in/meta.json" incoming/meta.json
for _ in $(seq 100); do [ "$(grep -c '"/hook"' "$tmp/hooks.log" 2>/dev/null)" -ge 2 ] && break; sleep 0.1; done
hook_lines=$(grep '"/hook"' "$tmp/hooks.log")
check "the webhook was called twice (503, then 200)" 2 "$(grep -c . <<<"$hook_lines")"
contains "it got the transformed event as JSON" '{\"uploaded\": \"/wharf-landing/partners/acme/incoming/meta.json\"}' "$hook_lines"
contains "with its content type" '"type":"application/json"' "$hook_lines"
keys=$(node -e 'const l=require("fs").readFileSync(process.argv[1],"utf8").trim().split("\n").map(JSON.parse).filter(x=>x.url=="/hook");console.log(new Set(l.map(x=>x.key)).size, l.map(x=>x.attempt).join(","))' "$tmp/hooks.log")
check "both attempts carry one Idempotency-Key, attempts 1 and 2" "1 1,2" "$keys"
for _ in $(seq 50); do curl -sS "$endpoint/metrics" | grep -q "wharf_event_dead_letters 1" && break; sleep 0.1; done
contains "the webhook answering 404 is a dead letter" "wharf_event_dead_letters 1" "$(curl -sS "$endpoint/metrics")"
contains "its reason is logged" "went to the dead letters: POST http://127.0.0.1:$hook_port/gone: HTTP 404: no such hook" "$(cat "$tmp/serve.err")"
check "no state machine started for the .json upload" 2 "$(count)"

# Killed right after an upload, wharf starts that upload's execution once when it is back.
printf 'sku,price\nC-300,9.99\n' >"$tmp/in/products.csv"
put "$tmp/in/products.csv" incoming/products_20221114.csv
kill -9 "$server"; wait "$server" 2>/dev/null; server=""
start_server
wait_for 3; check "after kill -9 the upload's execution is there, once" 0 $?
sleep 0.5
check "and only once" 3 "$(count)"
metrics=$(curl -sS "$endpoint/metrics")
contains "/metrics shows no delivery pending" "wharf_event_deliveries_pending 0" "$metrics"
contains "/metrics shows the one dead letter, and no other" "wharf_event_dead_letters 1" "$metrics"

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
