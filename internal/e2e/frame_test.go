package e2e

import (
	"encoding/hex"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// rsFrame is an RS from fe80::ff:fe00:201 to ff02::2 with a Source
// Link-Layer Address option, as captured on the lab bridge.
var rsFrame = mustHex(strings.Join([]string{
	"333300000002", "020000000201", "86dd", // Ethernet
	"60000000", "0010", "3a", "ff", // IPv6: payload 16, ICMPv6, hop limit 255
	"fe80000000000000000000fffe000201",
	"ff020000000000000000000000000002",
	"85", "00", "0000", "00000000", // RS, code, checksum, reserved
	"01", "01", "020000000201", // SLLA option
}, ""))

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// TestDecodeFrame checks the capture frame decoder the tests rely on.
func TestDecodeFrame(t *testing.T) {
	at := time.Unix(1700000000, 0)
	withExt := append([]byte(nil), rsFrame...)
	withExt[14+6] = 0 // Hop-by-Hop next header
	wrongType := append([]byte(nil), rsFrame...)
	wrongType[12] = 0x08
	longPayload := append([]byte(nil), rsFrame...)
	longPayload[14+5] = 0x20 // payload length past the frame
	tests := []struct {
		name    string
		b       []byte
		want    packet
		wantErr error
	}{
		{
			name: "RS",
			b:    rsFrame,
			want: packet{
				At:       at,
				Src:      netip.MustParseAddr("fe80::ff:fe00:201"),
				Dst:      allRouter,
				HopLimit: 255,
				Type:     typeRS,
				ICMP:     rsFrame[54:],
			},
		},
		{name: "trailing padding ignored", b: append(append([]byte(nil), rsFrame...), 0, 0, 0, 0), want: packet{
			At: at, Src: netip.MustParseAddr("fe80::ff:fe00:201"), Dst: allRouter, HopLimit: 255, Type: typeRS, ICMP: rsFrame[54:],
		}},
		{name: "extension header", b: withExt, wantErr: errNotICMPv6},
		{name: "not IPv6", b: wrongType, wantErr: errNotICMPv6},
		{name: "truncated", b: rsFrame[:60], wantErr: errNotICMPv6},
		{name: "payload length past the frame", b: longPayload, wantErr: errNotICMPv6},
		{name: "empty", b: nil, wantErr: errNotICMPv6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeFrame(tt.b, at)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got, equateAddr); diff != "" {
				t.Errorf("packet (-want +got):\n%s", diff)
			}
		})
	}
}
