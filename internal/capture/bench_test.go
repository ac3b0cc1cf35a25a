package capture

import (
	"bytes"
	"io"
	"testing"
	"time"

	"golang.org/x/net/bpf"
)

func BenchmarkWritePacket(b *testing.B) {
	w, err := NewWriter(io.Discard, "bench0")
	if err != nil {
		b.Fatal(err)
	}
	p := Packet{Time: time.Now(), Data: frame(0x86dd, 58, make([]byte, 120)), Length: 174}
	b.SetBytes(int64(len(p.Data)))
	for b.Loop() {
		if err := w.WritePacket(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFillChecksum(b *testing.B) {
	f := goodFrames(b)["IPv6 UDP"].frame
	buf := bytes.Clone(f)
	b.SetBytes(int64(len(f)))
	for b.Loop() {
		fillChecksum(buf)
	}
}

func BenchmarkFilterVM(b *testing.B) {
	vm, err := bpf.NewVM(Filter())
	if err != nil {
		b.Fatal(err)
	}
	f := frame(0x86dd, 6, ports(40000, 53))
	for b.Loop() {
		if _, err := vm.Run(f); err != nil {
			b.Fatal(err)
		}
	}
}
