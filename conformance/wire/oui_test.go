package wire

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// ouiCSV is the head of Debian's /usr/share/ieee-data/oui.csv, with a
// row of each kind parseOUI skips.
const ouiCSV = `Registry,Assignment,Organization Name,Organization Address
MA-L,3C22FB,Apple, Inc.,1 Infinite Loop Cupertino CA US 95014
MA-L,00000C,"Cisco Systems, Inc",170 WEST TASMAN DRIVE San Jose CA US 95134
MA-L,ZZZZZZ,Not hex,nowhere
MA-L,0A0B,Too short,nowhere
MA-L
MA-L,ACDE48,"Private",
`

func TestParseOUI(t *testing.T) {
	want := map[[3]byte]string{
		{0x3c, 0x22, 0xfb}: "Apple",
		{0x00, 0x00, 0x0c}: "Cisco Systems, Inc",
		{0xac, 0xde, 0x48}: "Private",
	}
	if diff := cmp.Diff(want, parseOUI(strings.NewReader(ouiCSV))); diff != "" {
		t.Errorf("parseOUI (-want +got):\n%s", diff)
	}
}

// FuzzParseOUI checks that any file gives a map, never a panic, with at
// most one entry per line and every key from a 6-hex-digit field.
func FuzzParseOUI(f *testing.F) {
	f.Add([]byte(ouiCSV))
	f.Add([]byte("MA-L,\"3C22FB\",\"a\"\"b\",x\n"))
	f.Add([]byte("\"unterminated\n3C22FB,x"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m := parseOUI(bytes.NewReader(b))
		if lines := bytes.Count(b, []byte("\n")) + bytes.Count(b, []byte("\r")) + 1; len(m) > lines {
			t.Fatalf("%d entries from %d lines", len(m), lines)
		}
		for k := range m {
			if !bytes.Contains(bytes.ToUpper(b), []byte(strings.ToUpper(hex.EncodeToString(k[:])))) {
				t.Fatalf("entry %x is not in the input", k)
			}
		}
	})
}
