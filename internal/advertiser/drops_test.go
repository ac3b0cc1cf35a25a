package advertiser

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// procHex renders a as /proc/net/raw6 does on this host: four 32-bit
// words, each as the number it is in memory.
func procHex(a netip.Addr) string {
	b := a.As16()
	var s strings.Builder
	for i := range 4 {
		fmt.Fprintf(&s, "%08X", binary.NativeEndian.Uint32(b[4*i:]))
	}
	return s.String()
}

// raw6Sample is /proc/net/raw6 of a router namespace with the NDP socket
// of fe80::ff:fe00:100 and 37 drops. (On x86-64 that address reads
// 000080FE00000000FF000000000100FE.)
var raw6Sample = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
   58: ` + procHex(netip.MustParseAddr("fe80::ff:fe00:100")) + `:003A 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 123456 2 0000000000000000 37
  255: 00000000000000000000000000000000:00FF 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 123457 2 0000000000000000 0
garbage
`

// TestReadRaw6 checks the parsing of /proc/net/raw6.
func TestReadRaw6(t *testing.T) {
	got := readRaw6(strings.NewReader(raw6Sample))
	want := []raw6Socket{
		{Local: netip.MustParseAddr("fe80::ff:fe00:100"), Proto: 58, Inode: 123456, Drops: 37},
		{Local: netip.IPv6Unspecified(), Proto: 255, Inode: 123457, Drops: 0},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("readRaw6 (-want +got):\n%s", diff)
	}
}

// FuzzParseRaw6Line checks that no line makes parseRaw6Line panic.
func FuzzParseRaw6Line(f *testing.F) {
	for _, l := range strings.Split(raw6Sample, "\n") {
		f.Add(l)
	}
	f.Fuzz(func(t *testing.T, line string) {
		_, _ = parseRaw6Line(line)
	})
}
