package liveobserve

import (
	"encoding/binary"
	"io"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/ralab/ralab/conformance"
	"github.com/ralab/ralab/internal/capture"
)

// raFrame wraps an ICMPv6 message from fe80::1 (MAC 02:00:00:00:01:00) to
// ff02::1 in Ethernet and IPv6 headers, with a correct checksum.
func raFrame(msg []byte) []byte {
	src, dst := netip.MustParseAddr("fe80::1").As16(), netip.MustParseAddr("ff02::1").As16()
	f := []byte{0x33, 0x33, 0, 0, 0, 1, 2, 0, 0, 0, 1, 0, 0x86, 0xdd}
	ip := []byte{0x60, 0, 0, 0, 0, 0, 58, 255}
	binary.BigEndian.PutUint16(ip[4:], uint16(len(msg)))
	ip = append(append(ip, src[:]...), dst[:]...)
	m := append([]byte(nil), msg...)
	m[2], m[3] = 0, 0
	var sum uint32
	pseudo := append(append(append([]byte(nil), src[:]...), dst[:]...), 0, 0, byte(len(m)>>8), byte(len(m)), 0, 0, 0, 58)
	for _, b := range [][]byte{pseudo, m} {
		for i := 0; i+1 < len(b); i += 2 {
			sum += uint32(binary.BigEndian.Uint16(b[i:]))
		}
		if len(b)%2 == 1 {
			sum += uint32(b[len(b)-1]) << 8
		}
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(m[2:], ^uint16(sum))
	return append(append(f, ip...), m...)
}

// BenchmarkHandle measures what the capture goroutine does per frame: append
// it to the pcapng writer and feed it to the tracker.
func BenchmarkHandle(b *testing.B) {
	pw, err := capture.NewWriter(io.Discard, "bench0")
	if err != nil {
		b.Fatal(err)
	}
	o := &Observer{
		cfg: Config{Interface: "bench0", PCAPNG: "discard"},
		log: slog.New(slog.DiscardHandler),
		pw:  pw,
		tr:  conformance.NewTracker(conformance.Options{}),
	}
	frame := raFrame(testRA(b))
	t0 := time.Now()
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for i := 0; b.Loop(); i++ {
		p := capture.Packet{Time: t0.Add(time.Duration(i) * 4 * time.Second), Data: frame, Length: len(frame)}
		if err := o.handle(p); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if r := o.tr.Report(time.Now()); len(r.Routers) != 1 || r.Malformed != 0 {
		b.Fatalf("the frame is not a well-formed RA: %d routers, %d malformed", len(r.Routers), r.Malformed)
	}
}
