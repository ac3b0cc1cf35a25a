package netlab

import (
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// addrJSON is real "ip -j -6 addr show dev eth0" output from a lab client
// after SLAAC.
const addrJSON = `[{"ifindex":2,"link_index":3,"ifname":"eth0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"qdisc":"noqueue","operstate":"UP","group":"default","txqlen":1000,"link_netnsid":0,"addr_info":[{"family":"inet6","local":"2001:db8:1::ff:fe00:201","prefixlen":64,"scope":"global","dynamic":true,"mngtmpaddr":true,"valid_life_time":86391,"preferred_life_time":14391},{"family":"inet6","local":"fe80::ff:fe00:201","prefixlen":64,"scope":"link","tentative":true,"valid_life_time":4294967295,"preferred_life_time":4294967295}]}]`

func TestParseAddresses(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Address
		wantErr bool
	}{
		{
			name: "slaac",
			in:   addrJSON,
			want: []Address{
				{
					Prefix:            netip.MustParsePrefix("2001:db8:1::ff:fe00:201/64"),
					Scope:             "global",
					Flags:             []string{"dynamic", "mngtmpaddr"},
					ValidLifetime:     86391 * time.Second,
					PreferredLifetime: 14391 * time.Second,
				},
				{
					Prefix:            netip.MustParsePrefix("fe80::ff:fe00:201/64"),
					Scope:             "link",
					Flags:             []string{"tentative"},
					ValidLifetime:     Forever,
					PreferredLifetime: Forever,
				},
			},
		},
		{name: "empty list", in: `[]`},
		{name: "no addresses", in: `[{"ifindex":1,"addr_info":[]}]`},
		{name: "inet skipped", in: `[{"addr_info":[{"family":"inet","local":"10.0.0.1","prefixlen":8}]}]`},
		{name: "not json", in: `Device "eth9" does not exist.`, wantErr: true},
		{name: "bad address", in: `[{"addr_info":[{"family":"inet6","local":"nope","prefixlen":64}]}]`, wantErr: true},
		{name: "bad prefixlen", in: `[{"addr_info":[{"family":"inet6","local":"::1","prefixlen":129}]}]`, wantErr: true},
		{name: "wrong type", in: `[{"addr_info":[{"family":"inet6","local":"::1","prefixlen":"x"}]}]`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAddresses([]byte(tt.in))
			if tt.wantErr {
				if !errors.Is(err, ErrParse) {
					t.Fatalf("err = %v, want ErrParse", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
				t.Errorf("ParseAddresses (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAddressHelpers(t *testing.T) {
	a, err := ParseAddresses([]byte(addrJSON))
	if err != nil {
		t.Fatal(err)
	}
	got := []bool{a[0].Global(), a[0].Usable(), a[1].Global(), a[1].Usable(), a[1].Has("tentative")}
	if diff := cmp.Diff([]bool{true, true, false, false, true}, got); diff != "" {
		t.Errorf("helpers (-want +got):\n%s", diff)
	}
}

func TestParseRoutes(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Route
		wantErr bool
	}{
		{
			name: "ra default",
			in:   `[{"dst":"default","gateway":"fe80::ff:fe00:100","dev":"eth0","protocol":"ra","metric":1024,"flags":[],"expires":20,"metrics":[{"hoplimit":64}],"pref":"medium"}]`,
			want: []Route{{
				Dst: "default", Gateway: netip.MustParseAddr("fe80::ff:fe00:100"), Dev: "eth0",
				Protocol: "ra", Metric: 1024, Expires: 20 * time.Second, Pref: "medium",
			}},
		},
		{name: "none", in: `[]`, want: []Route{}},
		{name: "bad gateway", in: `[{"dst":"default","gateway":"x"}]`, wantErr: true},
		{name: "truncated", in: `[{"dst":`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRoutes([]byte(tt.in))
			if tt.wantErr {
				if !errors.Is(err, ErrParse) {
					t.Fatalf("err = %v, want ErrParse", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("ParseRoutes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseIfIndex(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr bool
	}{
		{in: `[{"ifindex":2,"ifname":"eth0"}]`, want: 2},
		{in: `[]`, wantErr: true},
		{in: `[{"ifindex":0}]`, wantErr: true},
		{in: `{`, wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseIfIndex([]byte(tt.in))
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseIfIndex(%s) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestLinkLocal(t *testing.T) {
	tests := []struct {
		mac  string
		want string
	}{
		{"02:00:00:00:02:01", "fe80::ff:fe00:201"},
		{"02:00:00:00:01:00", "fe80::ff:fe00:100"},
		{"00:11:22:33:44:55", "fe80::211:22ff:fe33:4455"},
	}
	for _, tt := range tests {
		mac, err := net.ParseMAC(tt.mac)
		if err != nil {
			t.Fatal(err)
		}
		if got := LinkLocal(mac).String(); got != tt.want {
			t.Errorf("LinkLocal(%s) = %s, want %s", tt.mac, got, tt.want)
		}
	}
	if got := LinkLocal(nil); got.IsValid() {
		t.Errorf("LinkLocal(nil) = %v, want invalid", got)
	}
}

func FuzzParseAddresses(f *testing.F) {
	f.Add([]byte(addrJSON))
	f.Add([]byte(`[{"addr_info":[{"family":"inet6","local":"::1","prefixlen":128,"x":true}]}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		as, err := ParseAddresses(b)
		if err != nil && !errors.Is(err, ErrParse) {
			t.Fatalf("error %v does not wrap ErrParse", err)
		}
		for _, a := range as {
			if !a.Prefix.IsValid() {
				t.Fatalf("invalid prefix in %+v", a)
			}
		}
	})
}

func FuzzParseRoutes(f *testing.F) {
	f.Add([]byte(`[{"dst":"default","gateway":"fe80::1","dev":"eth0","metric":1024,"expires":20}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := ParseRoutes(b); err != nil && !errors.Is(err, ErrParse) {
			t.Fatalf("error %v does not wrap ErrParse", err)
		}
	})
}

func TestParseBridgePortState(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{`[{"ifname":"vh1","linkinfo":{"info_kind":"veth","info_slave_kind":"bridge","info_slave_data":{"state":"forwarding","priority":32}}}]`, "forwarding", false},
		{`[{"ifname":"vh1","linkinfo":{"info_kind":"veth","info_slave_kind":"bridge","info_slave_data":{"state":"disabled"}}}]`, "disabled", false},
		{`[{"ifname":"eth0","linkinfo":{"info_kind":"veth"}}]`, "", false},
		{`[]`, "", true},
		{`{`, "", true},
	}
	for _, tt := range tests {
		got, err := parseBridgePortState([]byte(tt.in))
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("parseBridgePortState(%s) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func FuzzParseBridgePortState(f *testing.F) {
	f.Add([]byte(`[{"linkinfo":{"info_slave_kind":"bridge","info_slave_data":{"state":"forwarding"}}}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if s, err := parseBridgePortState(b); err != nil && s != "" {
			t.Errorf("state %q with error %v", s, err)
		}
	})
}
