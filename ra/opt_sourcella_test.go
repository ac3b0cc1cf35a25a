package ra

import (
	"testing"

	"github.com/ralab/ralab/internal/config"
)

func TestSourceLLARoundTrip(t *testing.T) {
	testRoundTrip(t, sourceLLAOption{}, []optionTest{
		{name: "off", ifc: config.Interface{}},
		{
			name:     "the interface MAC",
			ifc:      config.Interface{SourceLLA: true},
			want:     []Option{{Type: TypeSourceLLA, Length: 1, LinkLayerAddress: testMAC}},
			wire:     "01 01 02005e005301",
			describe: []string{"02:00:5e:00:53:01"},
		},
	})
}
