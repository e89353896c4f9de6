#!/bin/sh
# Starts one program of the monitoring stack detached from the caller: its own session, no
# terminal, stdin from /dev/null, output appended to a log file; records its pid.
# Data (never code): DEVOPSTOOLS_PIDFILE, DEVOPSTOOLS_LOG; the program and its arguments are "$@".
set -eu
: "${DEVOPSTOOLS_PIDFILE:?}" "${DEVOPSTOOLS_LOG:?}"
# A background job of a non-interactive shell is no process group leader, so setsid execs the
# program in place and $! is the program's own pid.
setsid "$@" >>"$DEVOPSTOOLS_LOG" 2>&1 </dev/null &
echo "$!" >"$DEVOPSTOOLS_PIDFILE"
