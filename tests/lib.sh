# lib.sh: sourced by shell tests. TAP helpers, the built programs on PATH, and a scratch
# directory removed at exit (with every process the test recorded in $T/pids).
top=$(cd "$(dirname "$0")/.." && pwd)
for d in maildir qmail-send qmail-smtpd qmail-local qmail-remote qmail-pop3d control tls; do
  PATH=$top/$d:$PATH
done
export PATH LC_ALL=C TZ=UTC
T=$(mktemp -d /tmp/qmtest.XXXXXX)
cleanup () {
  [ -f "$T/pids" ] && while read -r p; do kill "$p" 2>/dev/null; done < "$T/pids"
  chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
tap_n=0
tap_failed=0
ok () {  # ok CONDITION-EXIT-STATUS NAME  (use: cmd; ok $? "name")
  tap_n=$((tap_n + 1))
  if [ "$1" = 0 ]; then echo "ok $tap_n - $2"; else echo "not ok $tap_n - $2"; tap_failed=$((tap_failed + 1)); fi
}
is () {  # is GOT WANT NAME
  tap_n=$((tap_n + 1))
  if [ "$1" = "$2" ]; then echo "ok $tap_n - $3"
  else echo "not ok $tap_n - $3"; printf '#   got:  %s\n#   want: %s\n' "$1" "$2"; tap_failed=$((tap_failed + 1)); fi
}
done_testing () {
  echo "1..$tap_n"
  [ "$tap_failed" = 0 ]
}
