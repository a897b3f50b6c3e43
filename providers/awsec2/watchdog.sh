#!/bin/sh
# lithops-idle-watchdog: power this machine off once no lithops worker has
# run here for LITHOPS_IDLE_SECONDS, whether or not the client that started
# the fleet is still around. lithops launches its instances with shutdown
# behaviour "terminate", so powering off ends the instance and its bill.
#
#   lithops-idle-watchdog check   look once and print busy, idle Ns of Ms or
#                                 poweroff (exit status 3; 4 if it failed)
#   lithops-idle-watchdog loop    look every LITHOPS_IDLE_INTERVAL seconds
#
# A worker is a process of LITHOPS_IDLE_USER whose program is named lithops
# or lithops-* (the worker binary lithops installs is
# ~/.lithops/bin/lithops-<digest>; a task runs as the worker's child, so
# the worker is there while any task runs). The time of the last look that
# saw one is kept in LITHOPS_IDLE_STATE/last-active, on /run by default:
# a reboot starts the idle time afresh.
#
# Settings (environment):
#   LITHOPS_IDLE_SECONDS    idle time before powering off (required)
#   LITHOPS_IDLE_USER       the login workers run as (required)
#   LITHOPS_IDLE_INTERVAL   seconds between looks in loop mode (default 30)
#   LITHOPS_IDLE_STATE      state directory (default /run/lithops-idle)
#   LITHOPS_IDLE_PROC       the proc file system (default /proc)
#   LITHOPS_IDLE_NOW        a file holding the current Unix time, read in
#                           place of the clock (tests)
#   LITHOPS_IDLE_POWEROFF   the command that powers off (default
#                           "shutdown -h now")
set -eu

idle=${LITHOPS_IDLE_SECONDS:?LITHOPS_IDLE_SECONDS is not set}
user=${LITHOPS_IDLE_USER:?LITHOPS_IDLE_USER is not set}
interval=${LITHOPS_IDLE_INTERVAL:-30}
state=${LITHOPS_IDLE_STATE:-/run/lithops-idle}
proc=${LITHOPS_IDLE_PROC:-/proc}
poweroff=${LITHOPS_IDLE_POWEROFF:-shutdown -h now}

log() { echo "lithops-idle-watchdog: $*" >&2; }

now() {
	if [ -n "${LITHOPS_IDLE_NOW:-}" ]; then
		cat "$LITHOPS_IDLE_NOW"
	else
		date +%s
	fi
}

# busy: a worker process of $uid runs.
busy() {
	for dir in "$proc"/[0-9]*; do
		[ -r "$dir/cmdline" ] || continue
		# The real UID is the first number on the status file's Uid: line.
		owner=$(sed -n 's/^Uid:[[:space:]]*\([0-9]*\).*/\1/p' "$dir/status" 2>/dev/null) || continue
		[ "$owner" = "$uid" ] || continue
		prog=$(tr '\000' '\n' <"$dir/cmdline" 2>/dev/null | head -n 1) || continue
		case ${prog##*/} in
		lithops | lithops-*) return 0 ;;
		esac
	done
	return 1
}

# record TIME: TIME is the last time a worker was seen.
record() {
	echo "$1" >"$state/last-active.tmp"
	mv "$state/last-active.tmp" "$state/last-active"
}

check() {
	t=$(now)
	if busy; then
		record "$t"
		echo busy
		return 0
	fi
	# The first look with no worker starts the idle time.
	[ -s "$state/last-active" ] || record "$t"
	last=$(cat "$state/last-active")
	if [ $((t - last)) -ge "$idle" ]; then
		log "no lithops worker for $((t - last))s (limit ${idle}s): powering off"
		echo poweroff
		if ! sh -c "$poweroff"; then
			log "power off failed; trying again at the next look"
			return 4
		fi
		return 3
	fi
	echo "idle $((t - last))s of ${idle}s"
}

uid=$(id -u "$user") || {
	log "no user $user"
	exit 2
}
mkdir -p "$state"

case ${1:-} in
check)
	check
	;;
loop)
	# A shutdown under way takes this loop with it; until then, and if a
	# power off failed, it keeps looking.
	while :; do
		check >/dev/null || :
		sleep "$interval"
	done
	;;
*)
	echo "usage: lithops-idle-watchdog check|loop" >&2
	exit 2
	;;
esac
