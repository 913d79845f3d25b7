#!/bin/sh
# golden.t: each folder tests/golden/CASE is one program run and its expected result:
#   cmd      shell commands, run by sh in a fresh directory $T (also HOME; QMAILHOME=$T/home)
#   home/    optional: copied into QMAILHOME first (control files...)
#   stdin    optional: standard input of cmd
#   stdout, stderr, exit: what cmd must print and exit with; the scratch path reads as @T@
# UPDATE=1 tests/golden.t rewrites the expected files from the current output (review the diff).
. "$(dirname "$0")/lib.sh"
for c in "$top"/tests/golden/*/; do
  [ -f "$c/cmd" ] || continue
  c=${c%/}; name=${c##*/}
  w=$T/$name
  mkdir -p "$w/home"
  [ -d "$c/home" ] && cp -R "$c/home/." "$w/home/"
  in=/dev/null; [ -f "$c/stdin" ] && in=$c/stdin
  (cd "$w" && HOME=$w QMAILHOME=$w/home T=$w exec sh "$c/cmd") < "$in" > "$T/out" 2> "$T/err"
  echo $? > "$T/exit"
  sed "s|$w|@T@|g" "$T/out" > "$T/stdout"
  sed "s|$w|@T@|g" "$T/err" > "$T/stderr"
  for f in stdout stderr exit; do
    [ -n "${UPDATE:-}" ] && cp "$T/$f" "$c/$f"
    if cmp -s "$T/$f" "$c/$f"; then ok 0 "$name: $f"
    else ok 1 "$name: $f"; diff "$c/$f" "$T/$f" 2>&1 | head -20 | sed 's/^/#   /'; fi
  done
done
done_testing
