package advertiser

import (
	"errors"
	"net"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseRS(t *testing.T) {
	ll := netip.MustParseAddr("fe80::ff:fe00:201")
	rsHdr := []byte{133, 0, 0xab, 0xcd, 0, 0, 0, 0}
	slla := []byte{1, 1, 0x02, 0, 0, 0, 0x02, 0x01}
	nonce := []byte{14, 1, 1, 2, 3, 4, 5, 6}
	cat := func(bs ...[]byte) []byte {
		var out []byte
		for _, b := range bs {
			out = append(out, b...)
		}
		return out
	}
	tests := []struct {
		name    string
		b       []byte
		hop     int
		src     netip.Addr
		want    RS
		wantErr error
	}{
		{name: "minimal", b: rsHdr, hop: 255, src: ll, want: RS{Source: ll}},
		{name: "with SLLA", b: cat(rsHdr, slla), hop: 255, src: ll.WithZone("eth0"),
			want: RS{Source: ll, SourceLLA: net.HardwareAddr{2, 0, 0, 0, 2, 1}}},
		{name: "unknown option skipped", b: cat(rsHdr, nonce, slla), hop: 255, src: ll,
			want: RS{Source: ll, SourceLLA: net.HardwareAddr{2, 0, 0, 0, 2, 1}}},
		{name: "unspecified source without SLLA", b: cat(rsHdr, nonce), hop: 255, src: netip.IPv6Unspecified(),
			want: RS{Source: netip.IPv6Unspecified()}},
		{name: "hop limit 64", b: rsHdr, hop: 64, src: ll, wantErr: ErrHopLimit},
		{name: "hop limit unknown", b: rsHdr, hop: -1, src: ll, wantErr: ErrHopLimit},
		{name: "short", b: rsHdr[:7], hop: 255, src: ll, wantErr: ErrShort},
		{name: "empty", b: nil, hop: 255, src: ll, wantErr: ErrShort},
		{name: "RA type", b: cat([]byte{134}, rsHdr[1:]), hop: 255, src: ll, wantErr: ErrNotRS},
		{name: "code 1", b: cat([]byte{133, 1}, rsHdr[2:]), hop: 255, src: ll, wantErr: ErrCode},
		{name: "zero-length option", b: cat(rsHdr, []byte{1, 0, 0, 0, 0, 0, 0, 0}), hop: 255, src: ll, wantErr: ErrOptionLength},
		{name: "option past end", b: cat(rsHdr, []byte{1, 2, 0, 0, 0, 0, 0, 0}), hop: 255, src: ll, wantErr: ErrOptionLength},
		{name: "one trailing octet", b: cat(rsHdr, slla, []byte{1}), hop: 255, src: ll, wantErr: ErrOptionLength},
		{name: "unspecified source with SLLA", b: cat(rsHdr, slla), hop: 255, src: netip.IPv6Unspecified(), wantErr: ErrUnspecifiedSLL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRS(tt.b, tt.hop, tt.src)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if r := InvalidReason(err); r == "other" {
					t.Errorf("InvalidReason(%v) = other", err)
				}
				return
			}
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("RS (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParseRS(f *testing.F) {
	f.Add([]byte{133, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 0, 0, 0, 2, 1}, 255, true)
	f.Add([]byte{133, 0, 0, 0, 0, 0, 0, 0, 1, 0}, 255, false)
	f.Add([]byte{133}, 64, true)
	f.Fuzz(func(t *testing.T, b []byte, hop int, unspecified bool) {
		src := netip.MustParseAddr("fe80::1")
		if unspecified {
			src = netip.IPv6Unspecified()
		}
		rs, err := ParseRS(b, hop, src)
		if err != nil {
			if InvalidReason(err) == "other" {
				t.Fatalf("unlabelled error %v", err)
			}
			return
		}
		if hop != 255 || len(b) < 8 || b[0] != 133 || b[1] != 0 {
			t.Fatalf("accepted invalid header % x hop %d", b, hop)
		}
		if unspecified && rs.SourceLLA != nil {
			t.Fatal("accepted SLLA from ::")
		}
	})
}
