package impair_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/ndp"
	"github.com/ralab/ralab/internal/impair"
)

// reassemble joins fragments made by Fragment back into the packet, and
// returns the (offset, more) pairs seen.
func reassemble(t *testing.T, frags [][]byte) ([]byte, [][2]int) {
	t.Helper()
	var payload []byte
	var shape [][2]int
	hdr := append([]byte(nil), frags[0][:40]...)
	for _, f := range frags {
		if f[6] != 44 {
			t.Fatalf("next header %d, want 44", f[6])
		}
		if n := int(binary.BigEndian.Uint16(f[4:6])); n != len(f)-40 {
			t.Fatalf("payload length %d, have %d", n, len(f)-40)
		}
		hdr[6] = f[40]
		field := binary.BigEndian.Uint16(f[42:44])
		off, more := int(field>>3)*8, int(field&1)
		if off != len(payload) {
			t.Fatalf("offset %d, want %d", off, len(payload))
		}
		shape = append(shape, [2]int{off, more})
		payload = append(payload, f[48:]...)
	}
	binary.BigEndian.PutUint16(hdr[4:6], uint16(len(payload)))
	return append(hdr, payload...), shape
}

func TestFragment(t *testing.T) {
	src, dst := netip.MustParseAddr("fe80::1"), netip.MustParseAddr("ff02::1")
	pkt, err := impair.Packet(testRA(), src, dst)
	if err != nil {
		t.Fatal(err)
	}
	if pkt[7] != 255 || pkt[6] != 58 {
		t.Fatalf("hop limit %d, next header %d", pkt[7], pkt[6])
	}
	if _, err := ndp.ParseMessage(pkt[40:]); err != nil {
		t.Fatalf("payload is not an RA: %v", err)
	}
	n := len(pkt) - 40 // 112 bytes of ICMPv6
	tests := []struct {
		mtu  int
		want [][2]int
	}{
		{mtu: 1280, want: [][2]int{{0, 0}}},                 // atomic fragment
		{mtu: 96, want: [][2]int{{0, 1}, {48, 1}, {96, 0}}}, // 48 bytes each
		{mtu: 56, want: [][2]int{{0, 1}, {8, 1}, {16, 1}, {24, 1}, {32, 1}, {40, 1}, {48, 1}, {56, 1}, {64, 1}, {72, 1}, {80, 1}, {88, 1}, {96, 1}, {104, 0}}},
	}
	for _, tt := range tests {
		frags, err := impair.Fragment(pkt, tt.mtu, 0x1234)
		if err != nil {
			t.Fatalf("mtu %d: %v", tt.mtu, err)
		}
		for _, f := range frags {
			if len(f) > tt.mtu {
				t.Errorf("mtu %d: fragment of %d bytes", tt.mtu, len(f))
			}
			if id := binary.BigEndian.Uint32(f[44:48]); id != 0x1234 {
				t.Errorf("id %#x", id)
			}
		}
		got, shape := reassemble(t, frags)
		if !bytes.Equal(got, pkt) {
			t.Errorf("mtu %d: reassembled packet differs", tt.mtu)
		}
		if diff := cmp.Diff(tt.want, shape); diff != "" {
			t.Errorf("mtu %d (payload %d): fragments (-want +got):\n%s", tt.mtu, n, diff)
		}
	}
}

func TestFragmentErrors(t *testing.T) {
	good, err := impair.Packet(testRA(), netip.MustParseAddr("fe80::1"), netip.MustParseAddr("ff02::1"))
	if err != nil {
		t.Fatal(err)
	}
	hop := append([]byte(nil), good...)
	hop[6] = 0
	short := append([]byte(nil), good[:len(good)-1]...)
	tests := []struct {
		name string
		pkt  []byte
		mtu  int
		want string
	}{
		{"small mtu", good, 55, "impair: bad IPv6 packet: MTU 55 is below 56"},
		{"not ipv6", []byte{0x45}, 1280, "impair: bad IPv6 packet: not an IPv6 packet"},
		{"length", short, 1280, "impair: bad IPv6 packet: payload length field 112, but 111 bytes follow the header"},
		{"hop-by-hop", hop, 1280, "impair: bad IPv6 packet: next header 0 is not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := impair.Fragment(tt.pkt, tt.mtu, 1)
			if !errors.Is(err, impair.ErrPacket) {
				t.Fatalf("error %v does not wrap ErrPacket", err)
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzFragment(f *testing.F) {
	good, _ := impair.Packet(testRA(), netip.MustParseAddr("fe80::1"), netip.MustParseAddr("ff02::1"))
	f.Add(good, 96)
	f.Add([]byte{0x60}, 1280)
	f.Fuzz(func(t *testing.T, pkt []byte, mtu int) {
		frags, err := impair.Fragment(pkt, mtu, 7)
		if err != nil {
			return
		}
		for _, fr := range frags {
			if len(fr) > mtu {
				t.Fatalf("fragment of %d bytes over mtu %d", len(fr), mtu)
			}
		}
		got, _ := reassemble(t, frags)
		if !bytes.Equal(got, pkt) {
			t.Fatal("reassembled packet differs")
		}
	})
}

func TestSplit(t *testing.T) {
	ra := testRA()
	if got := impair.Split(ra, 1); len(got) != 1 || got[0] != ra {
		t.Errorf("Split(ra, 1) = %d parts", len(got))
	}
	parts := impair.Split(ra, 8) // only 3 splittable options
	var n []int
	for _, p := range parts {
		n = append(n, len(p.Options))
		if _, ok := p.Options[0].(*ndp.LinkLayerAddress); !ok {
			t.Error("part does not start with the source link-layer address")
		}
	}
	if diff := cmp.Diff([]int{3, 3, 3}, n); diff != "" {
		t.Errorf("options per part (-want +got):\n%s", diff)
	}
	if impair.Split(nil, 2) != nil {
		t.Error("Split(nil) is not nil")
	}
}

func TestNewSpecErrors(t *testing.T) {
	tests := []struct {
		name  string
		table map[string]any
		want  []string
	}{
		{"no type", map[string]any{}, []string{"type: missing; allowed types: ra-throttle, ra-replay, ra-mcast-to-unicast, ra-drop-multicast, rdnss-lifetime, rdnss-omit, router-lifetime-zero, router-lifetime-short, dhcpv6-drop, dhcpv6-absent, dns-only-dhcpv6, dns-only-rdnss, ra-oversize, rdnss-link-local, second-router, dns-servers-many, pref64"}},
		{"bad type", map[string]any{"type": "nope"}, []string{`type = "nope": unknown impairment type; allowed: ra-throttle, ra-replay, ra-mcast-to-unicast, ra-drop-multicast, rdnss-lifetime, rdnss-omit, router-lifetime-zero, router-lifetime-short, dhcpv6-drop, dhcpv6-absent, dns-only-dhcpv6, dns-only-rdnss, ra-oversize, rdnss-link-local, second-router, dns-servers-many, pref64`}},
		{"type not string", map[string]any{"type": int64(1)}, []string{"type = 1: must be a string naming the type: " + "ra-throttle, ra-replay, ra-mcast-to-unicast, ra-drop-multicast, rdnss-lifetime, rdnss-omit, router-lifetime-zero, router-lifetime-short, dhcpv6-drop, dhcpv6-absent, dns-only-dhcpv6, dns-only-rdnss, ra-oversize, rdnss-link-local, second-router, dns-servers-many, pref64"}},
		{"unknown key", map[string]any{"type": "ra-replay", "intervall": "1s"}, []string{"intervall: unknown parameter of ra-replay; allowed: type, interval, answer_rs"}},
		{"bad duration", map[string]any{"type": "ra-throttle", "period": "soon"}, []string{`period = "soon": not a duration; must be a duration from 1s to 24h0m0s`}},
		{"duration type", map[string]any{"type": "ra-throttle", "period": int64(600)}, []string{`period = 600: must be a string holding a duration from 1s to 24h0m0s, such as "30s"`}},
		{"at_most below at_least", map[string]any{"type": "ra-throttle", "at_least": int64(3), "at_most": int64(2)}, []string{"at_most = 2: must be 0 (no limit) or at least at_least (3)"}},
		{"probability", map[string]any{"type": "dhcpv6-drop", "probability": 1.5}, []string{"probability = 1.5: must be a number from 0 to 1"}},
		{"choice", map[string]any{"type": "dhcpv6-drop", "direction": "up"}, []string{`direction = "up": must be one of "request", "reply", "both"`}},
		{"short router lifetime", map[string]any{"type": "router-lifetime-short", "lifetime": "180s"}, []string{`lifetime = "180s": must be a duration from 1s to 2m59s`}},
		{"global address", map[string]any{"type": "rdnss-link-local", "address": "2001:db8::1"}, []string{`address = "2001:db8::1": must be a link-local unicast address (fe80::/10)`}},
		{"pref64 unit", map[string]any{"type": "pref64", "lifetime": "12s"}, []string{`lifetime = "12s": must be a multiple of 8s (RFC 8781 §4)`}},
		{"pref64 prefix", map[string]any{"type": "pref64", "prefix": "64:ff9b::/80"}, []string{`prefix = "64:ff9b::/80": length must be /96, /64, /56, /48, /40 or /32 (RFC 8781 §4)`}},
		{"mac", map[string]any{"type": "second-router", "mac": "01:00:5e:00:00:01"}, []string{`mac = "01:00:5e:00:00:01": must be a unicast 48-bit MAC address, such as "02:00:00:00:53:02"`}},
		{"servers", map[string]any{"type": "dns-servers-many", "servers": []any{"ff02::1"}}, []string{`servers = ["ff02::1"]: "ff02::1" is not a unicast IPv6 address`}},
		{"two problems", map[string]any{"type": "ra-oversize", "parts": int64(1), "mode": "big"}, []string{
			`mode = "big": must be one of "split", "fragment"`, "parts = 1: must be from 2 to 16"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := impair.NewSpec("x", tt.table)
			if err == nil {
				t.Fatal("no error")
			}
			var got []string
			for _, e := range unjoin(err) {
				got = append(got, strings.TrimPrefix(e.Error(), ": "))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

// unjoin returns the errors joined in err.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func TestCatalogue(t *testing.T) {
	var fids []string
	for _, typ := range impair.Types {
		fids = append(fids, typ.FID)
		got, ok := impair.Lookup(typ.Name)
		if !ok || got != typ {
			t.Errorf("Lookup(%q) failed", typ.Name)
		}
		// Defaults alone make a valid spec.
		if _, err := impair.NewSpec("d", map[string]any{"type": typ.Name}); err != nil {
			t.Errorf("%s with defaults: %v", typ.Name, err)
		}
	}
	want := []string{"F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9", "F10", "F11", "F12", "F13", "F14", "F15", "F16", "F17"}
	if diff := cmp.Diff(want, fids); diff != "" {
		t.Errorf("F-ids (-want +got):\n%s", diff)
	}
}
