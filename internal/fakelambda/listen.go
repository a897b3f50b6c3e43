package fakelambda

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// listensOn says whether process pid holds the socket listening on addr
// (127.0.0.1:PORT), from /proc. The emulator is given ports that were free
// a moment before it binds them; if another process took one meanwhile the
// emulator exits, but a connection to the port would succeed all the same.
// This tells the two apart.
func listensOn(pid int, addr string) bool {
	_, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return false
	}
	inode := listeningInode(fmt.Sprintf("0100007F:%04X", port))
	if inode == "" {
		return false
	}
	links, _ := filepath.Glob(fmt.Sprintf("/proc/%d/fd/*", pid))
	for _, l := range links {
		if target, err := os.Readlink(l); err == nil && target == "socket:["+inode+"]" {
			return true
		}
	}
	return false
}

// listeningInode returns the inode of the IPv4 TCP socket listening on
// local (hex address:port as /proc/net/tcp writes it), or "".
func listeningInode(local string) string {
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
		if len(fields) >= 10 && fields[1] == local && fields[3] == "0A" {
			return fields[9]
		}
	}
	return ""
}
