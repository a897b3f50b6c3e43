#!/usr/bin/env bash
# hosts.sh: real OpenSSH hosts for tests and benchmarks (needs root).
#
#   hosts.sh up DIR N [OWNER_PID]   N hosts, each in its own network and UTS
#                                   namespace with its own sshd on port 22 and
#                                   its own Linux user; reached from here via
#                                   10.231.X.1 (X picked free, 0 if possible)
#   hosts.sh local DIR [OWNER_PID]  one sshd on 127.0.0.1:<free port>
#   hosts.sh down DIR               tear down what up/local made (idempotent)
#   hosts.sh kill-sshd DIR I        kill host I's sshd and everything it runs
#   hosts.sh boot DIR I HOSTKEY AUTHKEYS [LOGIN [INIT]]
#                                   boot host I anew, as a cloud instance's
#                                   first boot does: everything it ran is
#                                   killed, HOSTKEY (a private ed25519 key) is
#                                   its host key, AUTHKEYS its authorized_keys,
#                                   LOGIN another name of its user (the
#                                   image's login, e.g. ubuntu), and INIT (an
#                                   executable) runs as root in the host's
#                                   namespaces once sshd is up, its output in
#                                   DIR/hI/init.log
#   hosts.sh cut DIR I              take host I's link down (a lost VM)
#   hosts.sh slow DIR I RATE        shape traffic to host I to RATE ("4mbit")
#   hosts.sh restore DIR I          bring its link back up, at full speed
#   hosts.sh gc                     tear down fleets whose owner process died
#
# up and local are idempotent: run again, they create only what is missing.
# DIR receives the client key (client_key), known_hosts, and a line per host in
# DIR/hosts: "ADDR PORT USER HOSTNAME HOME ED25519.pub,ECDSA.pub" (host key
# files; known_hosts lists the ed25519 ones). Every fleet is also
# recorded in $LITHOPS_TESTHOSTS_STATE (default /var/tmp/lithops-testhosts) so
# that `gc` (run by every up) can remove fleets left behind by a killed test.
# Nothing under /etc/ssh is read or written; nothing routes off the machine.
set -euo pipefail

STATE=${LITHOPS_TESTHOSTS_STATE:-/var/tmp/lithops-testhosts}
SSHD=/usr/sbin/sshd

die() { echo "hosts.sh: $*" >&2; exit 1; }

# lock serialises up, local, down and gc across processes. The fd must not
# leak into sshd (see the 9>&- where it starts), or sshd would hold the lock.
lock() {
	mkdir -p "$STATE"
	exec 9>"$STATE/lock"
	flock 9
}

# descendants PID: PID's children, grandchildren, ... (from /proc, no procps).
descendants() {
	local parent=$1 p stat rest
	local -a fields
	for p in /proc/[0-9]*; do
		stat=$(cat "$p/stat" 2>/dev/null) || continue
		rest=${stat##*) }
		read -r -a fields <<<"$rest"
		if [[ ${fields[1]} == "$parent" ]]; then
			echo "${p#/proc/}"
			descendants "${p#/proc/}"
		fi
	done
}

# user_pids NAME: processes running as user NAME.
user_pids() {
	local uid p
	uid=$(id -u "$1" 2>/dev/null) || return 0
	for p in /proc/[0-9]*; do
		[[ $(stat -c %u "$p" 2>/dev/null) == "$uid" ]] && echo "${p#/proc/}"
	done
	return 0
}

# alive PID: PID runs (a zombie is dead; its parent reaps it in its own time).
alive() {
	[[ -e /proc/$1 ]] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# kill_wait PID...: SIGKILL each, then wait until they are gone.
kill_wait() {
	local p i running
	[[ $# -gt 0 ]] || return 0
	kill -KILL "$@" 2>/dev/null || true
	for i in $(seq 100); do
		running=
		for p in "$@"; do
			if alive "$p"; then running=1; fi
		done
		[[ -z $running ]] && return 0
		sleep 0.05
	done
	echo "hosts.sh: processes still alive after SIGKILL: $*" >&2
}

netns_exists() { [[ -e /run/netns/$1 ]]; }

load() {
	[[ -f $1/fleet.env ]] || return 1
	# shellcheck disable=SC1091
	. "$1/fleet.env"
}

# sshd_alive PIDFILE: the sshd that wrote PIDFILE is still running.
sshd_alive() {
	local pid
	[[ -s $1 ]] || return 1
	pid=$(<"$1")
	alive "$pid" && grep -q sshd "/proc/$pid/comm" 2>/dev/null
}

# write_host_files DIR I ADDR PORT USER: keys, config, authorized_keys of host I.
write_host_files() {
	local dir=$1 i=$2 addr=$3 port=$4 user=$5 h="$1/h$2"
	mkdir -p "$h"
	chmod 755 "$h"
	# known_hosts lists only the ed25519 key; the ECDSA key is there so that
	# a client which lets the server pick (x/crypto prefers ECDSA) is caught.
	[[ -f $h/ssh_host_ed25519_key ]] ||
		ssh-keygen -q -t ed25519 -N '' -C "host$i" -f "$h/ssh_host_ed25519_key"
	[[ -f $h/ssh_host_ecdsa_key ]] ||
		ssh-keygen -q -t ecdsa -b 256 -N '' -C "host$i" -f "$h/ssh_host_ecdsa_key"
	cp "$dir/client_key.pub" "$h/authorized_keys"
	chmod 644 "$h/authorized_keys"
	cat >"$h/sshd_config" <<EOF
ListenAddress $addr
Port $port
HostKey $h/ssh_host_ed25519_key
HostKey $h/ssh_host_ecdsa_key
PidFile $h/sshd.pid
AuthorizedKeysFile $h/authorized_keys
AllowUsers $user
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin no
StrictModes no
UseDNS no
Subsystem sftp internal-sftp
EOF
	# OpenSSH 9.8+ penalises addresses whose connections fail before
	# authentication, which our refused-host-key tests do on purpose.
	if "$SSHD" -t -f "$h/sshd_config" -o PerSourcePenalties=no 2>/dev/null; then
		echo 'PerSourcePenalties no' >>"$h/sshd_config"
	fi
	"$SSHD" -t -f "$h/sshd_config" || die "sshd rejects $h/sshd_config"
}

# ensure_user NAME HOME SHELL
ensure_user() {
	if ! id -u "$1" >/dev/null 2>&1; then
		mkdir -p "$(dirname "$2")"
		chmod 755 "$(dirname "$2")"
		# '*' unlocks the account for key logins: with UsePAM no, sshd refuses
		# locked ('!') accounts.
		useradd -m -d "$2" -s "$3" -p '*' -K UMASK=022 "$1" >/dev/null
	fi
}

# check_path DIR: every parent of DIR lets other users through (the host users
# read their authorized_keys and homes under DIR).
check_path() {
	local d=$1
	while [[ $d != / ]]; do
		d=$(dirname "$d")
		[[ $(( $(stat -c '0%a' "$d") & 1 )) == 1 ]] ||
			die "$d is not searchable by other users (chmod o+x it): the test hosts' users live under $1"
	done
}

init_dir() {
	local dir=$1
	mkdir -p "$dir"
	chmod 755 "$dir"
	check_path "$dir"
	[[ -f $dir/client_key ]] || ssh-keygen -q -t ed25519 -N '' -C lithops-test-client -f "$dir/client_key"
	mkdir -p /run/sshd
}

register() {
	cp "$1/fleet.env" "$STATE/$NAME.env"
}

new_name() { echo "lt$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')"; }

# free_net: the lowest X such that 10.231.X.0/24 is neither registered nor routed.
free_net() {
	local x f used
	for x in $(seq 0 255); do
		used=
		for f in "$STATE"/*.env; do
			[[ -f $f ]] || continue
			grep -qx "NET=$x" "$f" && used=1 && break
		done
		[[ -z $used && -z $(ip -4 route show "10.231.$x.0/24") ]] && { echo "$x"; return; }
	done
	die "no free 10.231.X.0/24 subnet"
}

cmd_up() {
	local dir=$1 n=$2 owner=${3:-0} i ns user addr shell hostsfile
	[[ $n =~ ^[0-9]+$ && $n -ge 1 && $n -le 200 ]] || die "host count must be 1..200, got $n"
	gc_locked
	init_dir "$dir"
	if ! load "$dir"; then
		NAME=$(new_name)
		NET=$(free_net)
		printf 'NAME=%s\nMODE=netns\nCOUNT=%s\nNET=%s\nOWNER=%s\nDIR=%s\n' \
			"$NAME" "$n" "$NET" "$owner" "$dir" >"$dir/fleet.env"
		. "$dir/fleet.env"
	fi
	[[ $MODE == netns ]] || die "$dir holds a $MODE fleet"
	register "$dir"
	local br=${NAME}br
	netns_exists "$br" || ip netns add "$br"
	ip -n "$br" link set lo up
	ip -n "$br" link show br0 >/dev/null 2>&1 || ip -n "$br" link add br0 type bridge
	ip -n "$br" link set br0 up
	if ! ip link show "${NAME}r" >/dev/null 2>&1; then
		ip link add "${NAME}r" type veth peer name "${NAME}rb" netns "$br"
	fi
	ip addr replace "10.231.$NET.1/24" dev "${NAME}r"
	ip link set "${NAME}r" up
	ip -n "$br" link set "${NAME}rb" master br0 up

	: >"$dir/known_hosts"
	hostsfile=$dir/hosts.new
	: >"$hostsfile"
	for i in $(seq "$n"); do
		ns=${NAME}h$i
		user=${NAME}h$i
		addr=10.231.$NET.$((10 + i))
		# Odd hosts log in to dash, even ones to bash: quoting is tested on both.
		shell=/bin/sh
		((i % 2 == 0)) && shell=/bin/bash
		netns_exists "$ns" || ip netns add "$ns"
		ip -n "$ns" link set lo up
		if ! ip -n "$br" link show "${NAME}b$i" >/dev/null 2>&1; then
			ip -n "$br" link add "${NAME}b$i" type veth peer name eth0 netns "$ns"
		fi
		ip -n "$ns" addr replace "$addr/24" dev eth0
		ip -n "$ns" link set eth0 up
		ip -n "$br" link set "${NAME}b$i" master br0 up
		ensure_user "$user" "$dir/home/h$i" "$shell"
		write_host_files "$dir" "$i" "$addr" 22 "$user"
		if ! sshd_alive "$dir/h$i/sshd.pid"; then
			rm -f "$dir/h$i/sshd.pid"
			ip netns exec "$ns" unshare --uts sh -c 'hostname "$1" && exec "$2" -f "$3" -E "$4"' \
				sh "${NAME}-h$i" "$SSHD" "$dir/h$i/sshd_config" "$dir/h$i/sshd.log" 9>&- ||
				die "sshd of host $i did not start: $(tail -n 5 "$dir/h$i/sshd.log" 2>/dev/null)"
		fi
		echo "$addr $(cut -d' ' -f1,2 "$dir/h$i/ssh_host_ed25519_key.pub")" >>"$dir/known_hosts"
		echo "$addr 22 $user ${NAME}-h$i $dir/home/h$i $dir/h$i/ssh_host_ed25519_key.pub,$dir/h$i/ssh_host_ecdsa_key.pub" >>"$hostsfile"
	done
	wait_pidfiles "$dir" "$n"
	mv "$hostsfile" "$dir/hosts"
}

wait_pidfiles() {
	local i j
	for i in $(seq "$2"); do
		for j in $(seq 100); do
			sshd_alive "$1/h$i/sshd.pid" && continue 2
			sleep 0.05
		done
		die "sshd of host $i wrote no pid file: $(tail -n 5 "$1/h$i/sshd.log" 2>/dev/null)"
	done
}

cmd_local() {
	local dir=$1 owner=${2:-0} user port try
	gc_locked
	init_dir "$dir"
	if ! load "$dir"; then
		NAME=$(new_name)
		printf 'NAME=%s\nMODE=local\nCOUNT=1\nNET=\nOWNER=%s\nDIR=%s\n' "$NAME" "$owner" "$dir" >"$dir/fleet.env"
		. "$dir/fleet.env"
	fi
	[[ $MODE == local ]] || die "$dir holds a $MODE fleet"
	register "$dir"
	user=${NAME}h1
	ensure_user "$user" "$dir/home/h1" /bin/sh
	if sshd_alive "$dir/h1/sshd.pid"; then
		port=$(awk '$1 == "Port" {print $2}' "$dir/h1/sshd_config")
	else
		# Bind a random high port; another process may hold it, so retry.
		for try in $(seq 20); do
			port=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000))
			write_host_files "$dir" 1 127.0.0.1 "$port" "$user"
			rm -f "$dir/h1/sshd.pid"
			: >"$dir/h1/sshd.log"
			"$SSHD" -f "$dir/h1/sshd_config" -E "$dir/h1/sshd.log" 9>&- && break
			grep -q 'Address already in use' "$dir/h1/sshd.log" ||
				die "sshd did not start: $(tail -n 5 "$dir/h1/sshd.log")"
			port=
		done
		[[ -n $port ]] || die "no free port for sshd after 20 tries"
	fi
	echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$dir/h1/ssh_host_ed25519_key.pub")" >"$dir/known_hosts"
	wait_pidfiles "$dir" 1
	echo "127.0.0.1 $port $user $(uname -n) $dir/home/h1 $dir/h1/ssh_host_ed25519_key.pub,$dir/h1/ssh_host_ecdsa_key.pub" >"$dir/hosts"
}

# teardown ENVFILE: everything a fleet made, in reverse; tolerant of partial state.
teardown() {
	local NAME MODE COUNT NET OWNER DIR i pids
	# shellcheck disable=SC1090
	. "$1"
	if [[ $MODE == local ]]; then
		if [[ -s $DIR/h1/sshd.pid ]] && sshd_alive "$DIR/h1/sshd.pid"; then
			pids=$(<"$DIR/h1/sshd.pid")
			# shellcheck disable=SC2046
			kill_wait $pids $(descendants "$pids")
		fi
	else
		for i in $(seq "$COUNT"); do
			if netns_exists "${NAME}h$i"; then
				# shellcheck disable=SC2046
				kill_wait $(ip netns pids "${NAME}h$i")
				ip netns del "${NAME}h$i"
			fi
		done
		if netns_exists "${NAME}br"; then
			# shellcheck disable=SC2046
			kill_wait $(ip netns pids "${NAME}br")
			ip netns del "${NAME}br"
		fi
		ip link del "${NAME}r" 2>/dev/null || true
	fi
	for i in $(seq "$COUNT"); do
		if id -u "${NAME}h$i" >/dev/null 2>&1; then
			# shellcheck disable=SC2046
			kill_wait $(user_pids "${NAME}h$i")
			# -r also removes the mail spool; it complains when the home has
			# already gone with the test's temp dir, so check the result by hand.
			userdel -r "${NAME}h$i" >/dev/null 2>&1 || true
			if id -u "${NAME}h$i" >/dev/null 2>&1; then userdel "${NAME}h$i"; fi
		fi
		rm -f "$DIR/h$i/sshd.pid"
	done
	rm -f "$STATE/$NAME.env"
}

gc_locked() {
	local f owner
	for f in "$STATE"/*.env; do
		[[ -f $f ]] || continue
		owner=$(sed -n 's/^OWNER=//p' "$f")
		if [[ -n $owner && $owner != 0 && ! -e /proc/$owner ]]; then
			echo "hosts.sh: removing $(basename "$f" .env), left behind by dead process $owner" >&2
			teardown "$f"
		fi
	done
}

cmd_down() {
	local dir=$1
	[[ -f $dir/fleet.env ]] || return 0
	teardown "$dir/fleet.env"
}

host_index() {
	load "$1" || die "no fleet in $1"
	[[ $2 =~ ^[0-9]+$ && $2 -ge 1 && $2 -le $COUNT ]] || die "no host $2 in $1 (1..$COUNT)"
}

cmd_kill_sshd() {
	local pid
	host_index "$1" "$2"
	if [[ $MODE == local ]]; then
		sshd_alive "$1/h1/sshd.pid" || return 0
		pid=$(<"$1/h1/sshd.pid")
		# shellcheck disable=SC2046
		kill_wait "$pid" $(descendants "$pid")
	else
		# A dead machine takes everything it ran with it: the listening sshd,
		# the per-connection sshd processes and the sessions' processes.
		# shellcheck disable=SC2046
		kill_wait $(ip netns pids "${NAME}h$2")
	fi
}

# wait_pidfile DIR I: host I's sshd wrote its pid file.
wait_pidfile() {
	local j
	for j in $(seq 100); do
		sshd_alive "$1/h$2/sshd.pid" && return 0
		sleep 0.05
	done
	die "sshd of host $2 wrote no pid file: $(tail -n 5 "$1/h$2/sshd.log" 2>/dev/null)"
}

cmd_boot() {
	local dir=$1 i=$2 key=$3 auth=$4 login=${5:-} init=${6:-} h ns user allow uid gid home shell
	host_index "$dir" "$i"
	[[ $MODE == netns ]] || die "boot needs a namespace fleet (up), not $MODE"
	h=$dir/h$i
	ns=${NAME}h$i
	user=${NAME}h$i
	# A machine booting anew: nothing of its last life runs on.
	# shellcheck disable=SC2046
	kill_wait $(ip netns pids "$ns")
	install -m 600 "$key" "$h/ssh_host_ed25519_key"
	ssh-keygen -y -f "$h/ssh_host_ed25519_key" >"$h/ssh_host_ed25519_key.pub"
	install -m 644 "$auth" "$h/authorized_keys"
	# LOGIN is the host user under another name, in a passwd file that only
	# the host's mount namespace sees: hosts share this machine's users, so
	# each host's "ubuntu" is its own user, with its own uid and home. The
	# host gets a copy of /etc, mounted over /etc: a bind mount over the file
	# /etc/passwd alone would be dropped by the kernel as soon as useradd or
	# userdel (another fleet's) renames a new /etc/passwd into place.
	allow=$user
	etc=
	if [[ -n $login && $login != "$user" ]]; then
		IFS=: read -r _ _ uid gid _ home shell < <(getent passwd "$user")
		[[ $uid =~ ^[0-9]+$ && $gid =~ ^[0-9]+$ && -n $home ]] || die "host $i: no passwd entry for $user"
		etc=$h/etc
		rm -rf "$etc"
		cp -a /etc "$etc"
		{
			grep -v "^$login:" /etc/passwd
			echo "$login:*:$uid:$gid:$user:$home:$shell"
		} >"$etc/passwd"
		allow="$user $login"
	fi
	sed -i "s/^AllowUsers .*/AllowUsers $allow/" "$h/sshd_config"
	rm -f "$h/sshd.pid"
	: >"$h/init.log"
	ip netns exec "$ns" unshare --uts --mount sh -c '
		if [ -n "$5" ]; then mount --bind "$5" /etc || exit 1; fi
		hostname "$1" && "$2" -f "$3" -E "$4" || exit 1
		if [ -n "$6" ]; then setsid "$6" >>"$7" 2>&1 </dev/null & fi' \
		sh "${NAME}-h$i" "$SSHD" "$h/sshd_config" "$h/sshd.log" "$etc" "$init" "$h/init.log" 9>&- ||
		die "sshd of host $i did not start: $(tail -n 5 "$h/sshd.log" 2>/dev/null)"
	wait_pidfile "$dir" "$i"
}

cmd_link() {
	host_index "$1" "$2"
	[[ $MODE == netns ]] || die "cut/slow/restore need a namespace fleet (up), not $MODE"
	case $3 in
	down) ip -n "${NAME}br" link set "${NAME}b$2" down ;;
	up)
		ip netns exec "${NAME}br" tc qdisc del dev "${NAME}b$2" root 2>/dev/null || true
		ip -n "${NAME}br" link set "${NAME}b$2" up
		;;
	*)
		# A token bucket with a deep queue: a slow link that buffers, as
		# real uplinks do, rather than one that drops.
		ip netns exec "${NAME}br" tc qdisc replace dev "${NAME}b$2" root tbf rate "$3" burst 32kbit latency 30s
		;;
	esac
}

[[ $(id -u) == 0 ]] || die "must run as root (network namespaces, users, sshd on port 22)"
[[ -x $SSHD ]] || die "$SSHD not found: install openssh-server"
cmd=${1:-}
shift || true
case $cmd in
up)
	[[ $# -ge 2 ]] || die "usage: hosts.sh up DIR N [OWNER_PID]"
	lock
	cmd_up "$(realpath -m "$1")" "${@:2}"
	;;
local)
	[[ $# -ge 1 ]] || die "usage: hosts.sh local DIR [OWNER_PID]"
	lock
	cmd_local "$(realpath -m "$1")" "${@:2}"
	;;
down)
	[[ $# -eq 1 ]] || die "usage: hosts.sh down DIR"
	lock
	cmd_down "$(realpath -m "$1")"
	;;
kill-sshd)
	[[ $# -eq 2 ]] || die "usage: hosts.sh kill-sshd DIR I"
	cmd_kill_sshd "$(realpath -m "$1")" "$2"
	;;
boot)
	[[ $# -ge 4 && $# -le 6 ]] || die "usage: hosts.sh boot DIR I HOSTKEY AUTHKEYS [LOGIN [INIT]]"
	cmd_boot "$(realpath -m "$1")" "$2" "$(realpath "$3")" "$(realpath "$4")" "${5:-}" "${6:+$(realpath "$6")}"
	;;
cut) cmd_link "$(realpath -m "$1")" "$2" down ;;
slow)
	[[ $# -eq 3 && $3 =~ ^[0-9]+[kmg]?bit$ ]] || die "usage: hosts.sh slow DIR I RATE (e.g. 4mbit)"
	cmd_link "$(realpath -m "$1")" "$2" "$3"
	;;
restore) cmd_link "$(realpath -m "$1")" "$2" up ;;
gc)
	lock
	gc_locked
	;;
*) die "usage: hosts.sh up|local|down|kill-sshd|boot|cut|slow|restore|gc ..." ;;
esac
