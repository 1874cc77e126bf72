#!/usr/bin/env bash
# The SFTP server with real clients: OpenSSH's `sftp` in batch mode (key login) and `curl sftp://`
# (password login). Two modes:
#
#   sftp_test.sh PATH/TO/ingest_test
#       Runs the test driver (SftpEndToEnd.* in src/ingest/sftp_server_test.cc): it starts the
#       server over a temporary object store, calls this script back in `clients` mode, and then
#       checks what the store holds (nothing half-written, nothing outside the home, the events).
#
#   sftp_test.sh clients HOST PORT USER KEY PASSWORD FINGERPRINT WORKDIR
#       The client side against a running server whose user USER has the key KEY and the
#       password PASSWORD, and whose home is empty. Prints one line per check; exits 1 when one
#       failed. Leaves in the home: upload.bin, curl.txt, c1.bin, c2.bin (the driver checks them).
set -uo pipefail

if [ "${1:-}" != clients ]; then
  driver=$(realpath "$1")
  WHARF_SFTP_E2E=1 exec "$driver" --gtest_filter='SftpEndToEnd.*'
fi

host=$2 port=$3 user=$4 key=$5 password=$6 fingerprint=$7 work=$8
cd "$work" || exit 1
failures=0
ok() { echo "ok   $1"; }
fail() { echo "FAIL $1"; failures=$((failures+1)); }
check() {  # check NAME EXPECTED ACTUAL
  if [ "$2" == "$3" ]; then ok "$1"; else fail "$1: expected [$2], got [$3]"; fi
}
contains() {  # contains NAME NEEDLE HAYSTACK
  if [[ "$3" == *"$2"* ]]; then ok "$1"; else fail "$1: [$2] not in [$3]"; fi
}
# sftp_batch [SFTP OPTIONS...] < COMMANDS: runs the commands in batch mode, prints the output.
sftp_batch() {
  local batch
  batch=$(mktemp -p . batch.XXXXXX)
  cat > "$batch"
  sftp -q -b "$batch" -P "$port" -i "$key" -oStrictHostKeyChecking=no \
    -oUserKnownHostsFile=/dev/null -oIdentitiesOnly=yes -oPasswordAuthentication=no \
    -oLogLevel=ERROR "$@" "$user@$host" 2>&1
}
# listing OUTPUT: the lines of an sftp batch's output that are not its echoed commands.
listing() { grep -v '^sftp>' <<< "$1"; }
url="sftp://$host:$port"

# The host key the server announces is the one it printed.
seen=$(ssh-keyscan -p "$port" -t ed25519 "$host" 2>/dev/null | ssh-keygen -lf - | awk '{print $2}')
check "the host key's fingerprint is the one the server printed" "$fingerprint" "$seen"

# put, get, ls -l, mkdir, rename, rm, rmdir.
head -c $((3 * 1024 * 1024 + 123)) /dev/urandom > data.bin
printf 'hello from sftp\n' > small.txt
out=$(sftp_batch <<'B'
put data.bin /upload.bin
get /upload.bin back.bin
mkdir /in
put small.txt /in/a.txt
rename /in/a.txt /in/b.txt
ls -l /in
df -h /
B
); code=$?
check "put, get, mkdir, rename, ls -l and df succeed" 0 "$code"
if cmp -s data.bin back.bin; then ok "get returns the bytes put"; else fail "get returns the bytes put: $out"; fi
listed=$(listing "$out" | grep ' b.txt$')
contains "ls -l shows the renamed file as ls -l does" "-rw-r--r--    1 $user    $user          16 " "$listed"
if listing "$out" | grep -q 'a.txt'; then fail "the old name is gone after rename: $out"; else ok "the old name is gone after rename"; fi

out=$(sftp_batch <<'B'
rm /in/b.txt
rmdir /in
ls /
B
); code=$?
check "rm and rmdir succeed" 0 "$code"
check "rm and rmdir removed them" "/upload.bin" "$(listing "$out" | tr -d ' ')"

out=$(printf 'rename /upload.bin /upload.bin\n' | sftp_batch); code=$?
check "renaming a file onto itself succeeds" 0 "$code"

# Escapes above the home: each refused, and the batch stops at it.
for command in "cd ../.." "put small.txt ../../etc/y" "get /../../etc/passwd stolen" \
               "ls /../.." "mkdir ../outside"; do
  out=$(echo "$command" | sftp_batch); code=$?
  if [ "$code" != 0 ]; then ok "refused: $command"; else fail "refused: $command: $out"; fi
done
if [ -e stolen ]; then fail "nothing was downloaded from outside the home"; else ok "nothing was downloaded from outside the home"; fi

# curl with the password: a wrong one is refused; the right one uploads, downloads and lists.
out=$(curl -sS --insecure -u "$user:wrong-$password" "$url/" 2>&1); code=$?
check "curl with a wrong password fails with 67 (login denied)" 67 "$code"
out=$(curl -sS --insecure -u "$user:$password" -T small.txt "$url/curl.txt" 2>&1); code=$?
check "curl uploads with the password" 0 "$code"
out=$(curl -sS --insecure -u "$user:$password" "$url/curl.txt" 2>&1); code=$?
check "curl downloads what it uploaded" "hello from sftp" "$out"
out=$(curl -sS --insecure -u "$user:$password" "$url/" 2>&1); code=$?
contains "curl lists the home" "curl.txt" "$out"
out=$(curl -sS --insecure -u "$user:$password" "$url/../../etc/passwd" 2>&1); code=$?
if [ "$code" != 0 ]; then ok "curl cannot read above the home"; else fail "curl cannot read above the home: $out"; fi

# Two clients uploading at the same time (each held to 2 MB/s, so that they overlap).
head -c $((3 * 1024 * 1024)) /dev/urandom > c1.bin
head -c $((3 * 1024 * 1024)) /dev/urandom > c2.bin
echo "put c1.bin /c1.bin" | sftp_batch -l 16000 > c1.out & p1=$!
echo "put c2.bin /c2.bin" | sftp_batch -l 16000 > c2.out & p2=$!
wait $p1; code1=$?
wait $p2; code2=$?
check "two concurrent uploads both succeed" "0 0" "$code1 $code2"
out=$(sftp_batch <<'B'
get /c1.bin c1.back
get /c2.bin c2.back
B
)
if cmp -s c1.bin c1.back && cmp -s c2.bin c2.back; then ok "both concurrent uploads hold their bytes"; else fail "both concurrent uploads hold their bytes: $out"; fi

# A client killed in the middle of an upload (1 MB/s, killed after about 1.5 MB).
head -c $((16 * 1024 * 1024)) /dev/urandom > big.bin
echo "put big.bin /killed.bin" > killed.txt
sftp -q -b killed.txt -l 8000 -P "$port" -i "$key" -oStrictHostKeyChecking=no \
  -oUserKnownHostsFile=/dev/null -oIdentitiesOnly=yes -oLogLevel=ERROR "$user@$host" \
  > killed.out 2>&1 & pid=$!
sleep 1.5
{ kill -9 $pid; wait $pid; } 2>/dev/null
out=$(echo "ls -1 /" | sftp_batch)
if listing "$out" | grep -q killed.bin; then fail "a killed upload leaves no file: $out"; else ok "a killed upload leaves no file"; fi

echo "$failures failure(s)"
[ "$failures" == 0 ]
