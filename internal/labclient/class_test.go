package labclient

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ralab/ralab/internal/scenario"
)

func TestClasses(t *testing.T) {
	want := map[string]string{
		"rdnssd": "rdnssd", "dhcpcd": "dhcpcd", "networkd": "systemd-networkd", "dhclient": "dhclient",
		"dhcp6c": "wide-dhcp6c", "dhcp6c-i": "wide-dhcp6c", "dibbler": "",
		"networkmanager": "networkmanager", "connman": "connman",
	}
	got := map[string]string{}
	for _, c := range append(All(), Extra()...) {
		got[c.Name] = c.Class
		if c.Class != "" && !slices.Contains(scenario.ClientClasses, c.Class) {
			t.Errorf("%s: class %q is not in scenario.ClientClasses", c.Name, c.Class)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("classes (-want +got):\n%s", diff)
	}
}
