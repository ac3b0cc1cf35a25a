package advertiser

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
)

// dropsPoll is how often the kernel's drop counter of the NDP socket is
// read.
const dropsPoll = time.Second

// errNoSocket reports that /proc/net/raw6 lists no matching socket.
var errNoSocket = errors.New("socket not found in /proc/net/raw6")

// raw6Socket is one line of /proc/net/raw6 (Linux net/ipv6/raw.c,
// raw6_seq_show via ip6_dgram_sock_seq_show).
type raw6Socket struct {
	Local netip.Addr
	// Proto is the protocol the socket receives (the "port" field).
	Proto uint16
	Inode uint64
	// Drops counts packets the kernel dropped for the socket, mostly
	// because its receive queue was full (sk_drops).
	Drops uint64
}

// parseRaw6Line parses one socket line of /proc/net/raw6: "sl
// local_address:port remote_address:port st tx_queue:rx_queue tr:tm->when
// retrnsmt uid timeout inode ref pointer drops".
func parseRaw6Line(line string) (raw6Socket, error) {
	f := strings.Fields(line)
	if len(f) != 13 {
		return raw6Socket{}, fmt.Errorf("raw6: %d fields, want 13", len(f))
	}
	addr, port, ok := strings.Cut(f[1], ":")
	if !ok || len(addr) != 32 {
		return raw6Socket{}, fmt.Errorf("raw6: local address %q", f[1])
	}
	// Four 32-bit words, each printed as the number the kernel holds in
	// memory, that is in host byte order.
	var b [16]byte
	for i := range 4 {
		w, err := strconv.ParseUint(addr[8*i:8*i+8], 16, 32)
		if err != nil {
			return raw6Socket{}, fmt.Errorf("raw6: local address %q: %w", addr, err)
		}
		binary.NativeEndian.PutUint32(b[4*i:], uint32(w))
	}
	proto, err := strconv.ParseUint(port, 16, 16)
	if err != nil {
		return raw6Socket{}, fmt.Errorf("raw6: protocol %q: %w", port, err)
	}
	inode, err := strconv.ParseUint(f[9], 10, 64)
	if err != nil {
		return raw6Socket{}, fmt.Errorf("raw6: inode %q: %w", f[9], err)
	}
	drops, err := strconv.ParseUint(f[12], 10, 64)
	if err != nil {
		return raw6Socket{}, fmt.Errorf("raw6: drops %q: %w", f[12], err)
	}
	return raw6Socket{Local: netip.AddrFrom16(b), Proto: uint16(proto), Inode: inode, Drops: drops}, nil
}

// readRaw6 parses a /proc/net/raw6 listing, skipping its header line and
// lines it cannot parse.
func readRaw6(r io.Reader) []raw6Socket {
	var out []raw6Socket
	sc := bufio.NewScanner(r)
	for first := true; sc.Scan(); first = false {
		if s, err := parseRaw6Line(sc.Text()); err == nil && !first {
			out = append(out, s)
		}
	}
	return out
}

// socketInodes returns the inodes of this process's sockets, from the
// links "socket:[N]" of /proc/self/fd.
func socketInodes() map[uint64]bool {
	out := map[uint64]bool{}
	ents, _ := os.ReadDir("/proc/self/fd")
	for _, e := range ents {
		l, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil {
			continue
		}
		if s, ok := strings.CutPrefix(l, "socket:["); ok {
			if n, err := strconv.ParseUint(strings.TrimSuffix(s, "]"), 10, 64); err == nil {
				out[n] = true
			}
		}
	}
	return out
}

// ndpSocketInode finds the inode of this process's ICMPv6 socket bound to
// ll: the newest (largest inode) when a closing one is still listed.
func ndpSocketInode(ll netip.Addr) (uint64, error) {
	b, err := os.ReadFile("/proc/thread-self/net/raw6")
	if err != nil {
		return 0, err
	}
	mine := socketInodes()
	var inode uint64
	for _, s := range readRaw6(bytes.NewReader(b)) {
		if s.Proto == 58 && s.Local == ll.WithZone("") && mine[s.Inode] && s.Inode > inode {
			inode = s.Inode
		}
	}
	if inode == 0 {
		return 0, errNoSocket
	}
	return inode, nil
}

// socketDrops returns the drop counter of the raw IPv6 socket inode.
func socketDrops(inode uint64) (uint64, error) {
	b, err := os.ReadFile("/proc/thread-self/net/raw6")
	if err != nil {
		return 0, err
	}
	for _, s := range readRaw6(bytes.NewReader(b)) {
		if s.Inode == inode {
			return s.Drops, nil
		}
	}
	return 0, errNoSocket
}

// watchDrops counts, until ctx ends, the packets the kernel drops at the
// NDP socket bound to ll before the advertiser reads them (an RS flood
// filling its receive queue): in ralab_socket_receive_drops_total and
// in a rate-limited warning.
func (a *Advertiser) watchDrops(ctx context.Context, ll netip.Addr) {
	inode, err := ndpSocketInode(ll)
	if err != nil {
		a.log.Debug("cannot count the NDP socket's drops", "err", err)
		return
	}
	c := a.m.drops.WithLabelValues(a.name, "ndp")
	var last uint64
	t := time.NewTicker(dropsPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		n, err := socketDrops(inode)
		if err == nil && n > last {
			c.Add(float64(n - last))
			a.count(func(c *Counters) { c.SocketDrops += n - last })
			if dropped, ok := a.dropLog.Allow(time.Now()); ok {
				a.log.Warn("the kernel dropped packets at the NDP socket (receive queue full)",
					"dropped", n-last, "suppressed_since_last", dropped)
			}
			last = n
		}
		if ctx.Err() != nil {
			return
		}
	}
}
