package ra

import (
	"encoding/hex"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/ralab/ralab/internal/config"
)

// cmpOpts compares netip values by value and errors with errors.Is.
var cmpOpts = cmp.Options{
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
	cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
	cmpopts.EquateErrors(),
}

// testMAC is the MAC used for Source Link-Layer Address options in tests.
var testMAC = net.HardwareAddr{0x02, 0x00, 0x5e, 0x00, 0x53, 0x01}

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

func sec(n int64) time.Duration { return time.Duration(n) * time.Second }

// unhex decodes hex written with optional spaces.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// fullInterface returns an interface that uses every option.
func fullInterface() config.Interface {
	return config.Interface{
		Name:           "eth0",
		OtherConfig:    true,
		HopLimit:       64,
		RouterLifetime: sec(1800),
		Preference:     config.High,
		SourceLLA:      true,
		MTU:            1500,
		Prefixes: []config.Prefix{{
			Prefix: pfx("2001:db8:1::/64"), OnLink: true, Autonomous: true,
			ValidLifetime: sec(86400), PreferredLifetime: sec(14400),
		}},
		Routes:        []config.Route{{Prefix: pfx("2001:db8:ff:f0::/60"), Preference: config.Low, Lifetime: config.Infinite}},
		RDNSS:         []config.RDNSS{{Servers: []netip.Addr{addr("2001:db8::53"), addr("2001:db8::54")}, Lifetime: sec(1800)}},
		DNSSL:         []config.DNSSL{{Domains: []string{"lab.example", "example.com"}, Lifetime: sec(1800)}},
		PREF64:        []config.PREF64{{Prefix: pfx("64:ff9b::/96"), Lifetime: config.MaxPREF64Lifetime}},
		CaptivePortal: "https://portal.example/api",
	}
}

// mustMarshal builds ifc and returns its bytes.
func mustMarshal(t testing.TB, ifc config.Interface) []byte {
	t.Helper()
	_, b, err := Build(ifc, testMAC)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return b
}
