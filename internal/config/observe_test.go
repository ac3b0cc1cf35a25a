package config_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ralab/ralab/internal/config"
)

func TestParseObserve(t *testing.T) {
	t.Parallel()
	defaults := config.Observe{ReportEvery: 30 * time.Second, MaxClients: 4096, OutageGrace: 2 * time.Second}
	tests := []struct {
		name  string
		table string
		want  config.Observe
	}{
		{name: "no table", want: config.Observe{}},
		{name: "empty table", table: "[interface.observe]\n", want: defaults},
		{name: "disabled with dir", table: "[interface.observe]\ndir = \"/tmp/obs\"\n",
			want: config.Observe{Dir: "/tmp/obs", ReportEvery: 30 * time.Second, MaxClients: 4096, OutageGrace: 2 * time.Second}},
		{name: "enabled defaults", table: "[interface.observe]\nenabled = true\ndir = \"/var/lib/ralab/observe\"\n",
			want: config.Observe{Enabled: true, Dir: "/var/lib/ralab/observe", ReportEvery: 30 * time.Second, MaxClients: 4096, OutageGrace: 2 * time.Second}},
		{name: "everything", table: "[interface.observe]\nenabled = true\ndir = \"obs\"\nreport_every = \"1s\"\nmax_clients = 1\noutage_grace = \"0s\"\n",
			want: config.Observe{Enabled: true, Dir: "obs", ReportEvery: time.Second, MaxClients: 1}},
		{name: "long interval", table: "[interface.observe]\nenabled = true\ndir = \"obs\"\nreport_every = \"1h30m\"\nmax_clients = 1048576\noutage_grace = \"1m\"\n",
			want: config.Observe{Enabled: true, Dir: "obs", ReportEvery: 90 * time.Minute, MaxClients: 1 << 20, OutageGrace: time.Minute}},
		{name: "inline table", table: "observe = { enabled = true, dir = \"obs\" }\n",
			want: config.Observe{Enabled: true, Dir: "obs", ReportEvery: 30 * time.Second, MaxClients: 4096, OutageGrace: 2 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := config.Parse("observe.toml", []byte("[[interface]]\nname = \"eth0\"\n"+tt.table))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if len(c.Warnings) > 0 {
				t.Errorf("warnings: %q", c.Warnings)
			}
			if diff := cmp.Diff(tt.want, c.Interfaces[0].Observe); diff != "" {
				t.Errorf("Observe mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
