#!/bin/sh
# fuzz-corpus.t: replay every committed fuzz input (tests/fuzz/corpus/NAME/) through its target,
# built with the normal compiler as tests/fuzz/NAME-replay (Makefile), so that a crash found once
# stays fixed. Every target has a corpus and every corpus a target. Seconds, not minutes: the
# fuzzers themselves run only with make fuzz-run.
. "$(dirname "$0")/lib.sh"
cd "$top/tests/fuzz" || exit 1
for src in *.c; do
  n=${src%.c}
  [ -d "corpus/$n" ] && [ -n "$(ls "corpus/$n")" ]; ok $? "$n has a seed corpus"
  if [ -x "$n-replay" ]; then
    out=$(./"$n-replay" corpus/"$n"/* 2>&1); rc=$?
    [ $rc = 0 ] || printf '%s\n' "$out" | sed 's/^/# /'
    ok $rc "$n replays its $(ls "corpus/$n" | wc -l) corpus inputs"
  else
    ok 1 "$n-replay is built"
  fi
done
for d in corpus/*/; do
  n=$(basename "$d")
  [ -f "$n.c" ]; ok $? "corpus/$n belongs to a target"
done
done_testing
