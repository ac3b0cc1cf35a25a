package advlab

import (
	"encoding/binary"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestReadPcap(t *testing.T) {
	frame := func(next byte, icmp []byte) []byte {
		f := make([]byte, 14+40)
		f[12], f[13] = 0x86, 0xdd
		f[14+6], f[14+7] = next, 255
		src := netip.MustParseAddr("fe80::1").As16()
		dst := netip.MustParseAddr("ff02::1").As16()
		copy(f[14+8:], src[:])
		copy(f[14+24:], dst[:])
		return append(f, icmp...)
	}
	var b []byte
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr, 0xa1b2c3d4)
	b = append(b, hdr...)
	rec := func(sec, usec uint32, f []byte) {
		r := make([]byte, 16)
		binary.LittleEndian.PutUint32(r, sec)
		binary.LittleEndian.PutUint32(r[4:], usec)
		binary.LittleEndian.PutUint32(r[8:], uint32(len(f)))
		binary.LittleEndian.PutUint32(r[12:], uint32(len(f)))
		b = append(b, r...)
		b = append(b, f...)
	}
	rec(10, 500, frame(58, []byte{134, 0, 0, 0}))
	rec(11, 0, frame(0, []byte{58, 0})) // hop-by-hop (MLD): skipped
	rec(12, 0, frame(58, []byte{133}))
	b = append(b, 1, 2, 3) // truncated record: ignored

	path := filepath.Join(t.TempDir(), "x.pcap")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ReadPcap(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []Packet{
		{At: time.Unix(10, 500000), Src: netip.MustParseAddr("fe80::1"), Dst: netip.MustParseAddr("ff02::1"), HopLimit: 255, ICMP: []byte{134, 0, 0, 0}},
		{At: time.Unix(12, 0), Src: netip.MustParseAddr("fe80::1"), Dst: netip.MustParseAddr("ff02::1"), HopLimit: 255, ICMP: []byte{133}},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("ReadPcap (-want +got):\n%s", diff)
	}
}

func FuzzParsePcap(f *testing.F) {
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr, 0xa1b2c3d4)
	f.Add(hdr)
	f.Add(append(hdr, 1, 0, 0, 0, 0, 0, 0, 0, 60, 0, 0, 0, 60, 0, 0, 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		pkts, err := ParsePcap(b)
		if err != nil {
			return
		}
		for _, p := range pkts {
			if !p.Src.Is6() || !p.Dst.Is6() {
				t.Fatalf("bad addresses in %+v", p)
			}
		}
	})
}
