package wire

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/ralab/ralab/conformance/internal/frametest"
)

// benchPcapng is benchCapture as a pcapng file, and its packet count.
func benchPcapng(b *testing.B) ([]byte, int) {
	frames := frametest.Clients(b, 2000)
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriter(&buf, layers.LinkTypeEthernet)
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range frames {
		ci := gopacket.CaptureInfo{Timestamp: frametest.T0.Add(f.At), CaptureLength: len(f.Frame), Length: len(f.Frame)}
		if err := w.WritePacket(ci, f.Frame); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes(), len(frames)
}

// BenchmarkReadCapture compares the capture reader with gopacket's
// pcapgo.NgReader on the same pcapng, reading every packet.
func BenchmarkReadCapture(b *testing.B) {
	file, n := benchPcapng(b)
	b.Run("CaptureReader", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(file)))
		for b.Loop() {
			cr, err := NewCaptureReader(bytes.NewReader(file))
			if err != nil {
				b.Fatal(err)
			}
			for {
				if _, err := cr.Next(); err != nil {
					if !errors.Is(err, io.EOF) {
						b.Fatal(err)
					}
					break
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/packet")
	})
	b.Run("pcapgo", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(file)))
		for b.Loop() {
			r, err := pcapgo.NewNgReader(bytes.NewReader(file), pcapgo.NgReaderOptions{WantMixedLinkType: true})
			if err != nil {
				b.Fatal(err)
			}
			for {
				if _, _, err := r.ZeroCopyReadPacketData(); err != nil {
					if !errors.Is(err, io.EOF) {
						b.Fatal(err)
					}
					break
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/packet")
	})
}

// BenchmarkReadDecode measures the reader and the decoder without the
// tracker: what analysing a capture costs before the model.
func BenchmarkReadDecode(b *testing.B) {
	file, n := benchPcapng(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(file)))
	for b.Loop() {
		cr, err := NewCaptureReader(bytes.NewReader(file))
		if err != nil {
			b.Fatal(err)
		}
		var conv *LinkConverter
		for i := 1; ; i++ {
			rec, err := cr.Next()
			if err != nil {
				break
			}
			if conv == nil {
				conv = newLinkConverter(cr.ifaces[rec.Iface].LinkType, false)
			}
			_, _ = Decode(conv.Frame(rec.Data), rec.Time, i)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/packet")
}
