#!/usr/bin/env bash
# End to end: `wharf serve` with SFTP, FTP and FTPS on a project with two users, driven by the
# real clients (OpenSSH sftp with a key, curl, lftp). Checks that files land whole, that every
# finished upload is announced (`wharf events`), that a cut upload leaves nothing, that path
# escapes are refused, that a wrong password leads to a lockout, and that a large file survives
# end to end by hash.
# Usage: tests/ingest_e2e_test.sh PATH/TO/wharf [BIG_MIB]   (BIG_MIB: size of the big file, 64)
set -uo pipefail
wharf=$(realpath "$1")
big_mib=${2:-64}
source "$(dirname "$0")/e2e_lib.sh"

ssh-keygen -q -t ed25519 -N '' -f "$tmp/alice_key" -C alice@test
hash=$(printf 'alice-pass\n' | "$wharf" passwd)
hash_bob=$(printf 'bob-pass\n' | "$wharf" passwd)
cat >"$tmp/wharf.yaml" <<EOF
users:
  alice:
    password_hash: '$hash'
    ssh_keys: ['$(cat "$tmp/alice_key.pub")']
    home: partners/alice/
  bob:
    password_hash: '$hash_bob'
    home: partners/bob/
    permissions: [list, read, upload, mkdir]
servers:
  sftp: {listen: 127.0.0.1:0}
  ftp: {listen: 127.0.0.1:0, passive_ports: 41000-41100}
  lockout: {max_failures: 3, window: 60, ban: 60, max_ban: 600}
auth:
  unauthenticated: true
http:
  listen: 127.0.0.1:0
data: $tmp/data
EOF

start_wharf
sftp_addr=$(sed -n 's/^wharf: SFTP on \([^ ]*\).*/\1/p' "$tmp/serve.out")
ftp_addr=$(sed -n 's/^wharf: FTP and FTPS on \([^ ]*\).*/\1/p' "$tmp/serve.out")
contains "serve prints the SFTP address and host key" "SHA256:" "$(grep SFTP "$tmp/serve.out")"
[ -n "$sftp_addr" ] && [ -n "$ftp_addr" ] || { cat "$tmp/serve.out" "$tmp/serve.err"; echo "FAIL the servers did not start"; exit 1; }
sftp_port=${sftp_addr##*:}
ftp_port=${ftp_addr##*:}
events() { "$wharf" events --data "$tmp/data" --limit 1000; }
sftp_batch() {  # sftp_batch COMMANDS... (as alice, with her key)
  printf '%s\n' "$@" >"$tmp/batch"
  sftp -q -b "$tmp/batch" -i "$tmp/alice_key" -P "$sftp_port" -oStrictHostKeyChecking=no \
    -oUserKnownHostsFile=/dev/null -oBatchMode=yes alice@127.0.0.1 2>&1
}

# SFTP with a key: upload, list, download, rename, delete.
printf 'sku,price\nA-100,3.50\n' >"$tmp/products.csv"
out=$(sftp_batch "mkdir incoming" "put $tmp/products.csv incoming/products_20221113.csv" "ls -l incoming")
contains "sftp puts and lists a file" "products_20221113.csv" "$out"
out=$(sftp_batch "get incoming/products_20221113.csv $tmp/back.csv")
check "sftp gets the same bytes back" "$(sha256sum <"$tmp/products.csv")" "$(sha256sum <"$tmp/back.csv")"
ev=$(events)
contains "the upload raised the Transfer Family event" "SFTP Server File Upload Completed" "$ev"
contains "and the S3 event" "Object Created" "$ev"
contains "the event names the file in the user's home" "/partners/alice/incoming/products_20221113.csv" "$ev"
out=$(sftp_batch "rename incoming/products_20221113.csv incoming/renamed.csv" "ls incoming")
contains "sftp renames" "renamed.csv" "$out"
out=$(sftp_batch "rm incoming/renamed.csv" "ls incoming" | grep -v '^sftp>')
[[ "$out" != *renamed.csv* ]]; check "sftp deletes" 0 $?
contains "the delete is announced" "SFTP Server File Delete Completed" "$(events)"
contains "the rename is announced" "SFTP Server File Rename Completed" "$(events)"

# Escapes are refused, and nothing lands outside the home.
out=$(sftp_batch "cd ../.." "pwd")
contains "cd above the home is refused" "outside your home" "$out"
out=$(sftp_batch "put $tmp/products.csv ../../escaped.csv" "put $tmp/products.csv /../../escaped2.csv")
ev=$(events)
[[ "$ev" != *"/escaped.csv"* || "$ev" == *"/partners/alice/escaped.csv"* ]]
check "put ../../x does not escape the home" 0 $?
out=$(curl -sS "ftp://127.0.0.1:$ftp_port/../../../etc/passwd" -u alice:alice-pass 2>&1)
[[ "$out" != *"root:"* ]]; check "RETR ../../../etc/passwd reads nothing of the host" 0 $?

# FTP with curl, and FTPS with lftp.
printf 'hello over ftp\n' >"$tmp/ftp.txt"
curl -sS -T "$tmp/ftp.txt" "ftp://127.0.0.1:$ftp_port/in/ftp.txt" --ftp-create-dirs -u bob:bob-pass
check "curl uploads over FTP" 0 $?
out=$(curl -sS "ftp://127.0.0.1:$ftp_port/in/ftp.txt" -u bob:bob-pass)
check "curl downloads it" "hello over ftp" "$out"
curl -sS -T "$tmp/ftp.txt" "ftp://127.0.0.1:$ftp_port/in/tls.txt" --ssl-reqd -k -u bob:bob-pass
check "curl uploads over FTPS" 0 $?
out=$(lftp -c "set ssl:verify-certificate no; set ftp:ssl-force true; open -u alice,alice-pass -p $ftp_port 127.0.0.1; put $tmp/ftp.txt -o lftp.txt; cls -1" 2>&1)
contains "lftp uploads over FTPS and lists" "lftp.txt" "$out"
curl -sS -Q "DELE in/ftp.txt" "ftp://127.0.0.1:$ftp_port/" -u bob:bob-pass >/dev/null 2>&1
check "bob may not delete" 0 $(( $? != 0 ? 0 : 1 ))
ev=$(events)
contains "FTP upload announced" "FTP Server File Upload Completed" "$ev"
contains "FTPS upload announced" "FTPS Server File Upload Completed" "$ev"

# Concurrent uploads from several clients.
for i in 1 2 3 4; do
  head -c $((200000 + i)) /dev/urandom >"$tmp/c$i.bin"
  curl -sS -T "$tmp/c$i.bin" "ftp://127.0.0.1:$ftp_port/in/c$i.bin" -u bob:bob-pass &
done
wait_ok=0
for job in $(jobs -p); do [ "$job" != "$server" ] && { wait "$job" || wait_ok=1; }; done
check "four concurrent uploads finish" 0 "$wait_ok"
for i in 1 2 3 4; do
  got=$(curl -sS "ftp://127.0.0.1:$ftp_port/in/c$i.bin" -u bob:bob-pass | sha256sum)
  check "concurrent upload $i is whole" "$(sha256sum <"$tmp/c$i.bin")" "$got"
done

# An upload cut in the middle leaves nothing, and is announced as failed.
head -c $((200 * 1024 * 1024)) /dev/zero >"$tmp/cut.bin"
curl -sS --limit-rate 2M -T "$tmp/cut.bin" "ftp://127.0.0.1:$ftp_port/in/cut.bin" -u bob:bob-pass 2>/dev/null &
cut=$!
sleep 1.5
kill -9 $cut 2>/dev/null
wait $cut 2>/dev/null
sleep 1
out=$(curl -sS "ftp://127.0.0.1:$ftp_port/in/" -u bob:bob-pass)
[[ "$out" != *cut.bin* ]]; check "a cut upload leaves nothing" 0 $?
contains "a cut upload is announced as PARTIAL_UPLOAD" "PARTIAL_UPLOAD" "$(events)"

# A big file end to end by hash (SFTP up, FTP down).
head -c $((big_mib * 1024 * 1024)) /dev/urandom >"$tmp/big.bin"
sftp_batch "put $tmp/big.bin big.bin" >/dev/null
got=$(curl -sS "ftp://127.0.0.1:$ftp_port/big.bin" -u alice:alice-pass | sha256sum)
check "a ${big_mib} MiB file arrives whole (SFTP up, FTP down)" "$(sha256sum <"$tmp/big.bin")" "$got"

# A wrong password until lockout: then even the right one is refused for a while.
for _ in 1 2 3; do curl -sS "ftp://127.0.0.1:$ftp_port/" -u bob:wrong >/dev/null 2>&1; done
curl -sS "ftp://127.0.0.1:$ftp_port/" -u bob:bob-pass >/dev/null 2>&1
check "after three wrong passwords the address is locked out" 1 $(( $? != 0 ? 1 : 0 ))
contains "the lockout is logged" "lock" "$(cat "$tmp/serve.err")"
http_addr=$(sed -n 's|^wharf: Step Functions API on http://\([^ ]*\).*|\1|p' "$tmp/serve.out")
metrics=$(curl -sS "http://$http_addr/metrics")
contains "/metrics counts the lockout" "wharf_ingest_lockouts_total 1" "$metrics"
contains "/metrics counts the failed logins" "wharf_ingest_failed_logins_total 3" "$metrics"
contains "/metrics counts the refused login" "wharf_ingest_refused_logins_total 1" "$metrics"
contains "/metrics says what its figures are" "# TYPE wharf_ingest_lockouts_total counter" "$metrics"

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
