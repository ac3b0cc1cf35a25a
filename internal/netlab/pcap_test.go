package netlab

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// pcapHeader returns a little-endian classic pcap file header
// (pcap-savefile(5)) for Ethernet with snap length 262144.
func pcapHeader(magic uint32) []byte {
	h := make([]byte, 24)
	binary.LittleEndian.PutUint32(h, magic)
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], 262144)
	binary.LittleEndian.PutUint32(h[20:], 1)
	return h
}

// pcapRecord returns a record header and data.
func pcapRecord(sec, frac uint32, data []byte) []byte {
	r := make([]byte, 16)
	binary.LittleEndian.PutUint32(r, sec)
	binary.LittleEndian.PutUint32(r[4:], frac)
	binary.LittleEndian.PutUint32(r[8:], uint32(len(data)))
	binary.LittleEndian.PutUint32(r[12:], uint32(len(data)))
	return append(r, data...)
}

func TestParsePcap(t *testing.T) {
	join := func(bs ...[]byte) []byte {
		var out []byte
		for _, b := range bs {
			out = append(out, b...)
		}
		return out
	}
	tests := []struct {
		name    string
		in      []byte
		want    []Frame
		wantErr bool
	}{
		{name: "empty", in: nil},
		{name: "header being written", in: pcapHeader(0xa1b2c3d4)[:10]},
		{name: "no records", in: pcapHeader(0xa1b2c3d4)},
		{
			name: "microseconds, truncated last record",
			in:   join(pcapHeader(0xa1b2c3d4), pcapRecord(10, 500, []byte{1, 2}), pcapRecord(12, 0, []byte{3}), []byte{1, 2, 3}),
			want: []Frame{{At: time.Unix(10, 500000), Data: []byte{1, 2}}, {At: time.Unix(12, 0), Data: []byte{3}}},
		},
		{
			name: "nanoseconds",
			in:   join(pcapHeader(0xa1b23c4d), pcapRecord(10, 500, []byte{1})),
			want: []Frame{{At: time.Unix(10, 500), Data: []byte{1}}},
		},
		{name: "not pcap", in: make([]byte, 40), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePcap(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrPcap) {
					t.Fatalf("err = %v, want ErrPcap", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
				t.Errorf("ParsePcap (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadPcapMissing(t *testing.T) {
	if _, err := ReadPcap(filepath.Join(t.TempDir(), "none.pcap")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadPcap(missing) = %v, want ErrNotExist", err)
	}
}

func FuzzParsePcap(f *testing.F) {
	f.Add(pcapHeader(0xa1b2c3d4))
	f.Add(append(pcapHeader(0xa1b23c4d), pcapRecord(1, 2, []byte{1, 2, 3})...))
	f.Fuzz(func(t *testing.T, b []byte) {
		frames, err := ParsePcap(b)
		if err != nil && !errors.Is(err, ErrPcap) {
			t.Fatalf("error %v does not wrap ErrPcap", err)
		}
		n := 0
		for _, fr := range frames {
			n += len(fr.Data)
		}
		if n > len(b) {
			t.Fatalf("%d octets of frames from a %d-octet file", n, len(b))
		}
	})
}
