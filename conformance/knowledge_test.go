package conformance

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestIdentify(t *testing.T) {
	tests := []struct {
		name string
		c    client
		want string
	}{
		{name: "dhcpcd by vendor class", c: client{vendorClass: []string{"dhcpcd-10.0.6:Linux-6.1:x86_64"}, hasORO: true, oro: []uint16{23, 24, 32, 82, 83}}, want: "dhcpcd"},
		{name: "ISC dhclient", c: client{hasORO: true, oro: []uint16{23, 24, 39, 31}, sentDHCPv6Client: true}, want: "ISC dhclient"},
		{name: "dibbler", c: client{hasORO: true, oro: []uint16{32, 23, 24}}, want: "dibbler"},
		{name: "systemd-networkd", c: client{hasORO: true, oro: []uint16{23, 24, 31, 32, 56, 83}}, want: "systemd-networkd"},
		{name: "systemd-networkd 252 with its DUID-EN", c: client{hasORO: true, oro: []uint16{23, 31, 32, 56, 83}, duids: []string{"0002000000ab11aabbccdd"}}, want: "systemd-networkd"},
		{name: "NetworkManager 1.42: the same client library, a DUID-UUID", c: client{hasORO: true, oro: []uint16{23, 24, 31, 32, 56, 83}, duids: []string{"00040123456789abcdef0123456789abcdef"}}, want: "NetworkManager"},
		{name: "ConnMan 1.41", c: client{hasORO: true, oro: []uint16{23, 24, 31}, duids: []string{"000100012ed4b8a5020000000209"}}, want: "ConnMan"},
		{name: "ORO 23,24,31 with another DUID is no ConnMan", c: client{hasORO: true, oro: []uint16{23, 24, 31}, duids: []string{"0003000102000000020a"}}, want: ""},
		{name: "Apple", c: client{hasORO: true, oro: []uint16{23, 24, 103}}, want: "Apple iOS/macOS"},
		{name: "WIDE -i", c: client{sentDHCPv6Client: true, infoRequests: 1}, want: "WIDE dhcp6c"},
		{name: "WIDE configured", c: client{hasORO: true, oro: []uint16{23, 24}}, want: "WIDE dhcp6c or busybox udhcpc6"},
		{name: "Windows by DHCPv4", c: client{dhcp4VendorClass: "MSFT 5.0"}, want: "Windows"},
		{name: "Android", c: client{dhcp4VendorClass: "android-dhcp-14"}, want: "Android"},
		{name: "unknown ORO", c: client{hasORO: true, oro: []uint16{23}}, want: ""},
		{name: "nothing", c: client{}, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			tt.c.profile = matchProfile(&tt.c)
			if p := identify(&tt.c); p != nil {
				got = p.name
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("identify (-want +got):\n%s", diff)
			}
		})
	}
}
