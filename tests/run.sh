#!/usr/bin/env bash
# Runs each Check suite binary given; prints a one-line verdict per suite.
set -u
fail=0
for t in "$@"; do
  if CK_FORK=yes "$t"; then :; else echo "FAILED: $t" >&2; fail=1; fi
done
[ $fail -eq 0 ] && echo "all test suites passed" || echo "some test suites failed" >&2
exit $fail
