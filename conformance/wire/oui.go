package wire

import (
	"encoding/csv"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"sync"

	"github.com/gopacket/gopacket/macs"
)

// ouiPath is Debian's ieee-data copy of the IEEE MA-L registry.
const ouiPath = "/usr/share/ieee-data/oui.csv"

var (
	ouiOnce sync.Once
	ouiMap  map[[3]byte]string
)

// Vendor returns the IEEE OUI organisation of m, from Debian's ieee-data
// when installed, else from gopacket's built-in table. It returns "" for
// locally administered (randomised) and group addresses, whose first
// octets name no vendor.
func Vendor(m MAC) string {
	if m.LocallyAdministered() || m.Multicast() {
		return ""
	}
	ouiOnce.Do(loadOUI)
	key := [3]byte{m[0], m[1], m[2]}
	if v, ok := ouiMap[key]; ok {
		return v
	}
	return macs.ValidMACPrefixMap[key]
}

func loadOUI() {
	f, err := os.Open(ouiPath)
	if err != nil {
		return
	}
	defer f.Close()
	ouiMap = parseOUI(f)
}

// parseOUI reads the IEEE CSV format: Registry,Assignment,Organization
// Name,Organization Address. Bad rows are skipped.
func parseOUI(r io.Reader) map[[3]byte]string {
	m := make(map[[3]byte]string)
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return m
		}
		var pe *csv.ParseError
		if err != nil && !errors.As(err, &pe) {
			return m
		}
		if err != nil || len(rec) < 3 {
			continue
		}
		b, err := hex.DecodeString(rec[1])
		if err != nil || len(b) != 3 {
			continue
		}
		m[[3]byte(b)] = rec[2]
	}
}
