package advertiser

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/ndp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/ralab/ralab/internal/config"
	"github.com/ralab/ralab/internal/ra"
)

func u32(v uint32) *uint32 { return &v }
func bp(v bool) *bool      { return &v }

func TestDecodeRA(t *testing.T) {
	ra := &ndp.RouterAdvertisement{
		CurrentHopLimit:           64,
		ManagedConfiguration:      false,
		OtherConfiguration:        true,
		RouterSelectionPreference: ndp.High,
		RouterLifetime:            1800 * time.Second,
		ReachableTime:             30 * time.Second,
		RetransmitTimer:           time.Second,
		Options: []ndp.Option{
			&ndp.LinkLayerAddress{Direction: ndp.Source, Addr: net.HardwareAddr{2, 0, 0, 0, 1, 1}},
			ndp.NewMTU(1500),
			&ndp.PrefixInformation{PrefixLength: 64, OnLink: true, AutonomousAddressConfiguration: true,
				ValidLifetime: ndp.Infinity, PreferredLifetime: 3600 * time.Second, Prefix: netip.MustParseAddr("2001:db8:1::")},
			&ndp.RouteInformation{PrefixLength: 48, Preference: ndp.Low, RouteLifetime: 600 * time.Second, Prefix: netip.MustParseAddr("2001:db8:2::")},
			&ndp.RecursiveDNSServer{Lifetime: 1800 * time.Second, Servers: []netip.Addr{netip.MustParseAddr("2001:db8::53"), netip.MustParseAddr("2001:db8::54")}},
			&ndp.RecursiveDNSServer{Lifetime: 600 * time.Second, Servers: []netip.Addr{netip.MustParseAddr("2001:db8::55")}},
			&ndp.DNSSearchList{Lifetime: 1200 * time.Second, DomainNames: []string{"lab.example"}},
			&ndp.PREF64{Lifetime: 1800 * time.Second, Prefix: netip.MustParsePrefix("64:ff9b::/96")},
			&ndp.CaptivePortal{URI: "https://portal.example/api"},
		},
	}
	b, err := ndp.MarshalMessage(ra)
	if err != nil {
		t.Fatal(err)
	}
	want := &RAStatus{
		Other: true, Preference: "high", HopLimit: 64, RouterLifetime: 1800, ReachableTime: 30000, RetransmitTimer: 1000,
		Size: len(b),
		Options: []OptionStatus{
			{Type: "source-lla", Value: "02:00:00:00:01:01"},
			{Type: "mtu", Value: "1500"},
			{Type: "prefix", Prefix: "2001:db8:1::/64", OnLink: bp(true), Autonomous: bp(true), Lifetime: u32(0xffffffff), PreferredLifetime: u32(3600)},
			{Type: "route", Prefix: "2001:db8:2::/48", Preference: "low", Lifetime: u32(600)},
			{Type: "rdnss", Lifetime: u32(1800), Servers: []string{"2001:db8::53", "2001:db8::54"}},
			{Type: "rdnss", Lifetime: u32(600), Servers: []string{"2001:db8::55"}},
			{Type: "dnssl", Lifetime: u32(1200), Domains: []string{"lab.example"}},
			{Type: "pref64", Prefix: "64:ff9b::/96", Lifetime: u32(1800)},
			{Type: "captive-portal", Value: "https://portal.example/api"},
		},
	}
	got := decodeRA(b)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decodeRA (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]float64{"router": 1800, "rdnss": 600, "dnssl": 1200, "pref64": 1800}, lifetimes(got)); diff != "" {
		t.Errorf("lifetimes (-want +got):\n%s", diff)
	}
}

func TestDecodeRAErrors(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"RS", []byte{133, 0, 0, 0, 0, 0, 0, 0}},
		{"bad option", append([]byte{134, 0, 0, 0, 64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 25, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := decodeRA(tt.b)
			if got.DecodeError == "" {
				t.Fatalf("decodeRA(% x) = %+v, want a decode error", tt.b, got)
			}
			if diff := cmp.Diff(map[string]float64{}, lifetimes(got)); diff != "" {
				t.Errorf("lifetimes of an undecodable RA (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzDecodeRA(f *testing.F) {
	f.Add([]byte{134, 0, 0, 0, 64, 0, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 0, 0, 0, 1, 1})
	f.Add([]byte{134, 0, 0, 0, 64, 0, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0, 38, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		st := decodeRA(b)
		if st.Size != len(b) {
			t.Fatalf("Size %d, want %d", st.Size, len(b))
		}
		_ = lifetimes(st)
	})
}

func TestKindString(t *testing.T) {
	var got []string
	for _, k := range append(Kinds, Kind(99)) {
		got = append(got, k.String())
	}
	want := []string{"initial", "periodic", "solicited-multicast", "solicited-unicast", "final", "reload", "kind(99)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Kind strings (-want +got):\n%s", diff)
	}
}

func TestMetricsSeries(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	m.init("eth0")
	m.lifetime.WithLabelValues("eth0", "router").Set(1800)
	m.lastMulticast.WithLabelValues("eth0").Set(1)
	count := func() map[string]int {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for _, mf := range mfs {
			out[mf.GetName()] = len(mf.GetMetric())
		}
		return out
	}
	want := map[string]int{
		"ralab_ra_sent_total":                       len(Kinds),
		"ralab_ra_send_errors_total":                1,
		"ralab_rs_received_total":                   1,
		"ralab_invalid_messages_total":              len(InvalidReasons),
		"ralab_rs_answers_suppressed_total":         len(Reasons),
		"ralab_ra_last_multicast_timestamp_seconds": 1,
		"ralab_ra_advertised_lifetime_seconds":      1,
		"ralab_interface_advertising":               1,
		"ralab_socket_receive_drops_total":          1,
	}
	if diff := cmp.Diff(want, count()); diff != "" {
		t.Errorf("series after init (-want +got):\n%s", diff)
	}
	m.forget("eth0")
	if diff := cmp.Diff(map[string]int{}, count()); diff != "" {
		t.Errorf("series after forget (-want +got):\n%s", diff)
	}
}

// TestDecodeRARoute60 checks that /ra shows a Route Information prefix
// whose length is not a multiple of 8 as it went on the wire: package
// ndp's parser keeps only prefix-length/8 bytes of it, so a /60 lost its
// last 4 bits there.
func TestDecodeRARoute60(t *testing.T) {
	ifc := testInterface("eth0", "2001:db8::53")
	ifc.Routes = []config.Route{{Prefix: netip.MustParsePrefix("2001:db8:abcd:ef0::/60"), Preference: config.High, Lifetime: 600 * time.Second}}
	_, b, err := ra.Build(ifc, net.HardwareAddr{2, 0, 0, 0, 1, 1})
	if err != nil {
		t.Fatal(err)
	}
	var got []OptionStatus
	for _, o := range decodeRA(b).Options {
		if o.Type == "route" {
			got = append(got, o)
		}
	}
	want := []OptionStatus{{Type: "route", Prefix: "2001:db8:abcd:ef0::/60", Preference: "high", Lifetime: u32(600)}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("route options (-want +got):\n%s", diff)
	}
}
